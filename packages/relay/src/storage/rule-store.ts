/**
 * @module The directory's mutes and rules of each phone number (packages/core/SPEC.md "Mute and
 * rules" [F1]–[F8]): what the relay applies as the single ingesting writer.
 */
import type { TriageRule } from '@switchboard/core'

export interface RuleStore {
  /** Stores a new mute or rule (or replaces one with the same id). */
  putRule(rule: TriageRule): void
  getRule(id: string): TriageRule | null
  /** A number's mutes and rules, oldest first. */
  listRules(phoneNumberId: string): TriageRule[]
  /** Every number's auto-close rules (the relay's sweep). */
  listCloseRules(): TriageRule[]
  /** Deletes a mute or rule; false when there was none. */
  deleteRule(id: string): boolean
  /** Moves on with every change, so a cache of the rules rereads only after one. */
  rulesRevision(): number
}
