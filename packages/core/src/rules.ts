/**
 * @module Mute and rules [F1–F8]: Done marks the relay writes, as the single ingesting peer,
 * under a device of its own.
 *
 * A bank's short code texts a verification code to the support number. Alice muted `#####`, so
 * right after the relay ingests the SMS it writes a Done mark under `relay-rules` that has
 * seen that SMS (its `seen` is the new incoming sequence): by [M2] and [M4] the conversation
 * is Done on every replica, with no escape hatch needed. Bob, offline, marks it Open before
 * syncing: his later intent wins as any would; the next SMS from the short code is marked Done
 * again. A member cannot write under `relay-rules` (its keys are the relay's [M8]), so nobody
 * forges a rule's mark.
 */
import type * as Y from 'yjs'
import { assert } from './assert.ts'
import { winner } from './derive.ts'
import { senderMatches, textMatches } from './glob.ts'
import { formatTimestamp, timestampWall, type Hlc } from './hlc.ts'
import { inboxIndex, lanesOf } from './inbox-index.ts'
import { readRecord } from './readers.ts'
import { encodeMark, inboxRoots, Lane, markKey, type MarkEntry } from './schema.ts'
import type { Activity, Conversation, HistoryEntry } from './types.ts'

/** The relay's own device for rule marks: no member may write under it [F2]. */
export const RULE_DEVICE = 'relay-rules'

export const RuleKind = {
  /** A member's mute of a sender: their incoming messages arrive Done [F1]. */
  Mute: 'mute',
  /** An admin's auto-Done of incoming messages matching a sender or a text pattern [F4]. */
  Done: 'done',
  /** An admin's auto-close of conversations with no incoming activity for N days [F5]. */
  Close: 'close',
} as const
export type RuleKind = (typeof RuleKind)[keyof typeof RuleKind]

/** One mute or rule of a phone number, as the relay stores it. */
export interface TriageRule {
  id: string
  phoneNumberId: string
  kind: RuleKind
  /** What the history names ("Marked done by rule 'Verification codes'"). */
  name: string
  /** Mute and Done: what the pattern is matched against. */
  field?: 'sender' | 'text'
  pattern?: string
  /** Close: days without incoming activity since the team's last message. */
  days?: number
  createdBy: string
  createdAt: number
}

/** Whether an incoming activity matches a mute or an auto-Done rule [F3]. */
export function ruleMatches(rule: TriageRule, activity: Activity): boolean {
  if (activity.direction !== 'incoming' || rule.kind === RuleKind.Close || !rule.pattern)
    return false
  if (rule.field === 'text')
    return textMatches(rule.pattern, activity.body ?? activity.transcript ?? '')
  return senderMatches(rule.pattern, activity.from)
}

/** The rule an incoming activity falls under: mutes first, then rules by age [F4]. */
export function matchingRule(rules: readonly TriageRule[], activity: Activity): TriageRule | null {
  const ordered = [...rules].sort(
    (a, b) =>
      Number(b.kind === RuleKind.Mute) - Number(a.kind === RuleKind.Mute) ||
      a.createdAt - b.createdAt ||
      (a.id < b.id ? -1 : 1),
  )
  return ordered.find((r) => ruleMatches(r, activity)) ?? null
}

/** A mute as every replica of the number sees it (relay-written root `mutes`) [F6]. */
export interface MuteView {
  id: string
  pattern: string
  /** The member who muted. */
  by: string
  at: number
}

/** The inbox document's relay-only mirror of the number's mutes, by id [F6]. */
export const mutesRoot = (doc: Y.Doc) => doc.getMap<MuteView>('mutes')

/** The number's mutes, oldest first. */
export function listMutes(doc: Y.Doc): MuteView[] {
  return [...mutesRoot(doc).values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
}

/** The mute that covers one of a conversation's outside numbers, or null ("Muted") [F6]. */
export function muteOf(
  mutes: readonly MuteView[],
  participants: readonly string[],
): MuteView | null {
  return mutes.find((m) => participants.some((p) => senderMatches(m.pattern, p))) ?? null
}

/** Makes the mirror equal `mutes` (set what differs, delete the rest): a repeat changes nothing. */
export function writeMutes(doc: Y.Doc, mutes: readonly MuteView[], origin: unknown = null): void {
  const root = mutesRoot(doc)
  const wanted = new Map(mutes.map((m) => [m.id, m]))
  const same = (a: MuteView | undefined, b: MuteView) =>
    !!a && a.pattern === b.pattern && a.by === b.by && a.at === b.at
  const stale = [...root.keys()].filter((id) => !wanted.has(id))
  const changed = mutes.filter((m) => !same(root.get(m.id), m))
  if (!stale.length && !changed.length) return
  doc.transact(() => {
    for (const id of stale) root.delete(id)
    for (const m of changed) root.set(m.id, { id: m.id, pattern: m.pattern, by: m.by, at: m.at })
  }, origin)
}

/**
 * Marks a conversation Done for a rule, under RULE_DEVICE: both status and flag lanes, having
 * seen the latest incoming activity [M4], stamped after every current winner [M3] so it wins
 * on every replica [M2]; the history entry names the rule [F7]. Null for an unknown conversation.
 */
export function markDoneByRule(
  doc: Y.Doc,
  conversationId: string,
  rule: Pick<TriageRule, 'id' | 'name'>,
  clock: Hlc,
  origin: unknown = null,
): MarkEntry | null {
  assert(clock.deviceId === RULE_DEVICE, `markDoneByRule: the clock must be ${RULE_DEVICE}'s`)
  const record = readRecord(doc, conversationId)
  if (!record) return null
  const lanes = lanesOf(inboxIndex(doc), conversationId)
  for (const lane of [Lane.Status, Lane.Flag] as const) {
    const current = winner(lanes[lane])
    // Stored winners were bounded by the relay's clock when stored [M6].
    if (current) clock.receive(current.at, { trusted: true })
  }
  const at = formatTimestamp(clock.tick())
  const seen = record.incoming?.seq ?? 0
  const entry: MarkEntry = { kind: 'done', at, by: RULE_DEVICE, device: RULE_DEVICE, seen }
  const audit: HistoryEntry = {
    conversationId,
    kind: 'done',
    memberId: RULE_DEVICE,
    deviceId: RULE_DEVICE,
    at,
    seen,
    rule: rule.name,
    ruleId: rule.id,
  }
  const marks = inboxRoots.marks(doc)
  const history = inboxRoots.history(doc)
  doc.transact(() => {
    for (const lane of [Lane.Status, Lane.Flag])
      marks.set(markKey(conversationId, lane, RULE_DEVICE), encodeMark(entry))
    history.insert(history.length, [audit])
  }, origin)
  return entry
}

export interface StaleOptions {
  /** Days without incoming activity since the team's last message. */
  days: number
  now: number
  /** Whether a conversation is snoozed: never auto-closed [F5] (the snooze lane plugs in here). */
  isSnoozed?: (c: Conversation) => boolean
}

const DAY = 86_400_000

/**
 * The conversations an auto-close rule closes now [F5]: Open and read, the team wrote last (so
 * no customer waits for a reply) and that was at least `days` ago — no incoming activity since —
 * and nobody set its status within those days. Never a snoozed one, an Unread one (a reminder)
 * or one whose last activity is incoming.
 */
export function staleConversations(doc: Y.Doc, options: StaleOptions): string[] {
  const { days, now, isSnoozed } = options
  assert(Number.isFinite(days) && days > 0, 'staleConversations: days must be positive')
  const cutoff = now - days * DAY
  const out: string[] = []
  for (const c of inboxIndex(doc).derived.values()) {
    const last = c.lastActivity
    if (c.status !== 'open' || c.unread || !last || last.direction !== 'outgoing') continue
    if (last.at > cutoff || isSnoozed?.(c)) continue
    // Someone reopened (or un-did) it within the N days: their intent is recent, leave it.
    if (c.statusBy && timestampWall(c.statusBy.at) > cutoff) continue
    out.push(c.id)
  }
  return out.sort()
}
