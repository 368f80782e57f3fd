/**
 * @module Mutes and rules of each phone number, applied by the relay as the single ingesting
 * writer (packages/core/SPEC.md "Mute and rules" [F1]–[F8]).
 *
 * The store (SQLite) holds them; the inbox document mirrors the mutes so every replica can show
 * "Muted". Right after an incoming activity is ingested, the first matching mute or auto-Done rule
 * marks its conversation Done under `relay-rules`, in the same write (so in the same durable
 * batch). A sweep closes conversations an auto-close rule finds stale.
 */
import {
  checkPattern,
  createHlc,
  markDoneByRule,
  matchingRule,
  RuleKind,
  staleConversations,
  writeMutes,
  RULE_DEVICE,
  type Activity,
  type Conversation,
  type Hlc,
  type IngestResult,
  type MuteView,
  type TriageRule,
} from '@switchboard/core'
import type * as Y from 'yjs'
import { AdminError } from './admin-error.ts'
import { RELAY_ORIGIN } from './room.ts'
import type { MemberRecord, RelayStorage } from './storage/relay-storage.ts'
import { isOwnedElsewhere } from './storage/storage-error.ts'

/** Mutes and rules one number may hold. */
export const MAX_RULES_PER_NUMBER = 50
/** Auto-close: between 1 day and a year. */
export const MAX_CLOSE_DAYS = 365
/** How often the relay looks for conversations an auto-close rule closes. */
export const RULES_SWEEP_MS = 15 * 60_000

export interface TriageRulesDeps {
  storage: RelayStorage
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /**
   * The sweep's writes: a room another live relay owns rejects (`owned`) and is left to that
   * relay's own sweep (docs/scale-out.md). Default: `writeRoom`.
   */
  writeOwnRoom?(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /**
   * Several relays: the mirror of a number's mutes is queued for its inbox's owner
   * (scale/queued-writes.ts) instead of written through `writeRoom`, which would take the room.
   */
  queueMutes?: ((phoneNumberId: string, mutes: MuteView[]) => Promise<void>) | undefined
  now(): number
  log(event: Record<string, unknown>): void
  hasPhoneNumber(memberId: string, phoneNumberId: string): boolean
  /** Whether a conversation is snoozed (never auto-closed [F5]); none until snooze exists. */
  isSnoozed?: (c: Conversation) => boolean
}

/** An admin's new rule: `{name, kind: 'done', match: 'sender'|'text', pattern}` or `{name, kind: 'close', days}`. */
export type NewRule = Record<string, unknown>

export interface TriageRules {
  /** Called inside ingestion's write of the inbox room: the rule mark after the activity [F1][F4]. */
  afterIngest(doc: Y.Doc, activity: Activity, result: IngestResult): void
  list(phoneNumberId: string): TriageRule[]
  /** A member mutes a sender pattern [F1][F8]; the same pattern again answers the mute there is. */
  mute(phoneNumberId: string, pattern: unknown, actor: MemberRecord): Promise<TriageRule>
  unmute(phoneNumberId: string, muteId: string, actor: MemberRecord): Promise<TriageRule>
  addRule(phoneNumberId: string, input: NewRule, actor: MemberRecord): Promise<TriageRule>
  removeRule(phoneNumberId: string, ruleId: string): Promise<TriageRule>
  /** Closes what auto-close rules find stale now; returns how many conversations [F5]. */
  sweep(): Promise<number>
  start(): void
  stop(): void
}

const mirrorOf = (rules: readonly TriageRule[]): MuteView[] =>
  rules
    .filter((r) => r.kind === RuleKind.Mute && r.pattern)
    .map((r) => ({ id: r.id, pattern: r.pattern!, by: r.createdBy, at: r.createdAt }))

export function createTriageRules(deps: TriageRulesDeps): TriageRules {
  const { storage, writeRoom, now } = deps
  // One clock for the relay's lifetime; it receives each lane's winner before it stamps [M3].
  const clock: Hlc = createHlc(RULE_DEVICE, now)
  let cache = new Map<string, TriageRule[]>()
  let cachedAt = -1
  const rulesOf = (phoneNumberId: string): TriageRule[] => {
    if (cachedAt !== storage.rulesRevision()) {
      cache = new Map()
      cachedAt = storage.rulesRevision()
    }
    let rules = cache.get(phoneNumberId)
    if (!rules) cache.set(phoneNumberId, (rules = storage.listRules(phoneNumberId)))
    return rules
  }
  const numberOf = (phoneNumberId: string) => {
    if (!storage.getPhoneNumber(phoneNumberId))
      throw new AdminError(404, 'id', 'no such phone number')
  }
  const roomFull = (phoneNumberId: string) => {
    if (storage.listRules(phoneNumberId).length >= MAX_RULES_PER_NUMBER)
      throw new AdminError(
        409,
        'pattern',
        `a number holds at most ${MAX_RULES_PER_NUMBER} mutes and rules`,
      )
  }
  const mirror = (phoneNumberId: string) =>
    deps.queueMutes
      ? deps.queueMutes(phoneNumberId, mirrorOf(storage.listRules(phoneNumberId)))
      : writeRoom(`inbox:${phoneNumberId}`, (doc) =>
          writeMutes(doc, mirrorOf(storage.listRules(phoneNumberId)), RELAY_ORIGIN),
        )
  const pattern = (input: unknown): string => {
    const checked = checkPattern(input)
    if (!checked.ok) throw new AdminError(400, 'pattern', `pattern ${checked.message}`)
    return checked.value
  }
  const newId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 12)}`

  async function sweep(): Promise<number> {
    let closed = 0
    for (const rule of storage.listCloseRules()) {
      if (!rule.days || !storage.getPhoneNumber(rule.phoneNumberId)) continue
      await (deps.writeOwnRoom ?? writeRoom)(`inbox:${rule.phoneNumberId}`, (doc) => {
        const stale = staleConversations(doc, {
          days: rule.days!,
          now: now(),
          ...(deps.isSnoozed ? { isSnoozed: deps.isSnoozed } : {}),
        })
        for (const id of stale) if (markDoneByRule(doc, id, rule, clock, RELAY_ORIGIN)) closed++
      }).catch((err: unknown) => {
        if (!isOwnedElsewhere(err)) throw err
      })
    }
    if (closed) deps.log({ level: 'info', msg: 'rules closed stale conversations', closed })
    return closed
  }
  let timer: ReturnType<typeof setInterval> | null = null

  return {
    afterIngest(doc, activity, result) {
      if (result.duplicate || activity.direction !== 'incoming') return
      const rule = matchingRule(rulesOf(activity.phoneNumberId), activity)
      if (rule) markDoneByRule(doc, activity.conversationId, rule, clock, RELAY_ORIGIN)
    },
    list: (phoneNumberId) => {
      numberOf(phoneNumberId)
      return storage.listRules(phoneNumberId)
    },
    async mute(phoneNumberId, input, actor) {
      numberOf(phoneNumberId)
      // [F8] Muting is triage: a member who may triage the number, not a viewer.
      if (!deps.hasPhoneNumber(actor.id, phoneNumberId))
        throw new AdminError(403, 'id', 'no access to this phone number')
      if (actor.role === 'viewer') throw new AdminError(403, 'role', 'viewers cannot mute')
      const p = pattern(input)
      const existing = storage
        .listRules(phoneNumberId)
        .find((r) => r.kind === RuleKind.Mute && r.pattern === p)
      if (existing) return existing
      roomFull(phoneNumberId)
      const rule: TriageRule = {
        id: newId('mute'),
        phoneNumberId,
        kind: RuleKind.Mute,
        name: `Muted ${p}`,
        field: 'sender',
        pattern: p,
        createdBy: actor.id,
        createdAt: now(),
      }
      storage.putRule(rule)
      await mirror(phoneNumberId)
      return rule
    },
    async unmute(phoneNumberId, muteId, actor) {
      numberOf(phoneNumberId)
      if (!deps.hasPhoneNumber(actor.id, phoneNumberId))
        throw new AdminError(403, 'id', 'no access to this phone number')
      if (actor.role === 'viewer') throw new AdminError(403, 'role', 'viewers cannot unmute')
      const mute = storage.getRule(muteId)
      if (!mute || mute.phoneNumberId !== phoneNumberId || mute.kind !== RuleKind.Mute)
        throw new AdminError(404, 'muteId', 'no such mute on this phone number')
      storage.deleteRule(muteId)
      await mirror(phoneNumberId)
      return mute
    },
    async addRule(phoneNumberId, input, actor) {
      numberOf(phoneNumberId)
      const name = typeof input.name === 'string' ? input.name.trim() : ''
      if (!name || name.length > 80)
        throw new AdminError(400, 'name', 'name must be 1–80 characters')
      const base = { id: newId('rule'), phoneNumberId, name, createdBy: actor.id, createdAt: now() }
      let rule: TriageRule
      if (input.kind === RuleKind.Done) {
        if (input.match !== 'sender' && input.match !== 'text')
          throw new AdminError(400, 'match', "match must be 'sender' or 'text'")
        rule = { ...base, kind: RuleKind.Done, field: input.match, pattern: pattern(input.pattern) }
      } else if (input.kind === RuleKind.Close) {
        const days = input.days
        if (
          typeof days !== 'number' ||
          !Number.isInteger(days) ||
          days < 1 ||
          days > MAX_CLOSE_DAYS
        )
          throw new AdminError(
            400,
            'days',
            `days must be a whole number from 1 to ${MAX_CLOSE_DAYS}`,
          )
        rule = { ...base, kind: RuleKind.Close, days }
      } else throw new AdminError(400, 'kind', "kind must be 'done' or 'close'")
      roomFull(phoneNumberId)
      storage.putRule(rule)
      return rule
    },
    async removeRule(phoneNumberId, ruleId) {
      numberOf(phoneNumberId)
      const rule = storage.getRule(ruleId)
      if (!rule || rule.phoneNumberId !== phoneNumberId)
        throw new AdminError(404, 'ruleId', 'no such rule on this phone number')
      storage.deleteRule(ruleId)
      if (rule.kind === RuleKind.Mute) await mirror(phoneNumberId)
      return rule
    },
    sweep,
    start() {
      timer ??= setInterval(() => {
        sweep().catch((err: unknown) =>
          deps.log({ level: 'error', msg: 'rules sweep failed', err: String(err) }),
        )
      }, RULES_SWEEP_MS)
      timer.unref?.()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
