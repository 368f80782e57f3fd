/**
 * @module Snooze as a lane of its own, combined with the status winner [Z1–Z5].
 *
 * Alice snoozes a conversation until 9:00 tomorrow; Bob, offline, marks it Done at 8:00 after
 * her snooze: his Done is newer than her snooze, so it ends it and the conversation is Done on
 * every replica. Had the customer written at 7:00, an SMS neither had seen, it would wake the
 * snooze and reopen the conversation ([M4]) whatever the clocks say. Whether a snooze still
 * hides its conversation depends on the time, which is an input here, never read from a clock.
 */
import type { ConversationRecord, MarkEntry } from './schema.ts'
import type { Conversation, Snooze } from './types.ts'

/** The value a snooze entry stores: a wake time in ms (decimal) or `reply` [Z1]. */
export type SnoozeUntil = number | 'reply'

/** Wake times are whole ms since the epoch, at most 15 digits (until the year 33658). */
const WAKE_TIME = /^[1-9][0-9]{0,14}$/

/** The lane value of a snooze until `until`. */
export function encodeSnoozeUntil(until: SnoozeUntil): string {
  return until === 'reply' ? 'reply' : String(until)
}

/** The snooze value `value` stores, or null when it is not one [Z1]. */
export function decodeSnoozeUntil(value: unknown): SnoozeUntil | null {
  if (value === 'reply') return 'reply'
  if (typeof value === 'string' && WAKE_TIME.test(value)) return Number(value)
  return null
}

/**
 * The snooze of a conversation from its snooze and status winners [Z2–Z4]: the snooze winner
 * when it is a `snooze` newer than the status winner (a later Done/Open/Unread ends it), with
 * the incoming activity that woke it when its author had not seen the latest one.
 */
export function deriveSnooze(
  snooze: MarkEntry | null | undefined,
  status: MarkEntry | null | undefined,
  record: ConversationRecord | undefined,
): Snooze | null {
  if (!snooze || snooze.kind !== 'snooze') return null
  if (status && status.at > snooze.at) return null
  const until = decodeSnoozeUntil(snooze.value)
  if (until === null) return null
  const incoming = record?.incoming
  return {
    until: until === 'reply' ? null : until,
    memberId: snooze.by,
    deviceId: snooze.device,
    at: snooze.at,
    wokenBy: incoming && snooze.seen < incoming.seq ? incoming.id : null,
  }
}

/** Why a snooze no longer hides its conversation: its time came, or an unseen incoming activity. */
export type WakeReason = 'time' | 'incoming'

export interface SnoozeState {
  /** Hidden from the inbox and listed by the `snoozed` view. */
  snoozed: boolean
  /** When it wakes by itself (ms); null when not snoozed or snoozed until a reply. */
  wakesAt: number | null
  /** Why a snooze that no later mark ended has woken; null while snoozed or without one. */
  woke: WakeReason | null
}

const AWAKE: SnoozeState = Object.freeze({ snoozed: false, wakesAt: null, woke: null })

/** A conversation's snooze at `now` (ms): a pure function of the derived state and `now` [Z5]. */
export function snoozeState(c: Pick<Conversation, 'snooze'>, now: number): SnoozeState {
  const s = c.snooze
  if (!s) return AWAKE
  if (s.wokenBy !== null) return { snoozed: false, wakesAt: null, woke: 'incoming' }
  if (s.until !== null && now >= s.until) return { snoozed: false, wakesAt: null, woke: 'time' }
  return { snoozed: true, wakesAt: s.until, woke: null }
}

/** Whether `c` is hidden by a snooze at `now`; without `now`, only a snooze until a reply hides. */
export function isSnoozed(c: Pick<Conversation, 'snooze'>, now: number | undefined): boolean {
  const s = c.snooze
  if (!s || s.wokenBy !== null) return false
  return s.until === null || (now !== undefined && now < s.until)
}

/** The earliest wake time after `now` among `conversations`: when the views must be derived again. */
export function nextWake(
  conversations: Iterable<Pick<Conversation, 'snooze'>>,
  now: number,
): number | null {
  let next: number | null = null
  for (const c of conversations) {
    const s = c.snooze
    if (!s || s.wokenBy !== null || s.until === null || s.until <= now) continue
    if (next === null || s.until < next) next = s.until
  }
  return next
}
