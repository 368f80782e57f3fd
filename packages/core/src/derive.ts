/**
 * @module Derived conversation state: a pure function of the entries [M2–M5].
 *
 * Alice marks Done at 10:02 (having seen SMS #3); Bob, offline, marks Unread at 10:04.
 * Both sync: each lane's winner is the greatest HLC timestamp, so Bob's Unread wins on every
 * replica (P2). Had SMS #4 arrived before either mark was made but after their replicas last
 * synced, neither author saw it (`seen` 3 < 4), so it reopens the conversation as
 * Open + Unread whatever the clocks say (P3).
 */
import type { MarkEntry, ConversationRecord } from './schema.ts'
import { deriveSnooze } from './snooze-rules.ts'
import type { Conversation, Decision, MarkKind } from './types.ts'

/** Each lane's entries by device. Read-only: an epoch base shares them between readers. */
export interface ConversationLanes {
  status: ReadonlyMap<string, MarkEntry>
  flag: ReadonlyMap<string, MarkEntry>
  pin: ReadonlyMap<string, MarkEntry>
  assign: ReadonlyMap<string, MarkEntry>
  snooze: ReadonlyMap<string, MarkEntry>
}

export type OwnLanes = { [L in keyof ConversationLanes]: Map<string, MarkEntry> }

export function emptyLanes(): OwnLanes {
  return {
    status: new Map(),
    flag: new Map(),
    pin: new Map(),
    assign: new Map(),
    snooze: new Map(),
  }
}

const none: ReadonlyMap<string, MarkEntry> = new Map()

/** A conversation nobody marked: one shared value instead of four new maps per read. */
export const noLanes: ConversationLanes = Object.freeze({
  status: none,
  flag: none,
  pin: none,
  assign: none,
  snooze: none,
})

/** The entry with the greatest timestamp; the device id inside the timestamp breaks ties. */
export function winner(entries: ReadonlyMap<string, MarkEntry>): MarkEntry | null {
  let best: MarkEntry | null = null
  for (const entry of entries.values()) if (!best || entry.at > best.at) best = entry
  return best
}

export function deriveConversation(
  id: string,
  record: ConversationRecord | undefined,
  lanes: ConversationLanes,
): Conversation {
  return deriveFromWinners(
    id,
    record,
    winner(lanes.status),
    winner(lanes.flag),
    winner(lanes.pin),
    winner(lanes.assign),
    winner(lanes.snooze),
  )
}

/** `deriveConversation` from each lane's winner, already known (an epoch base holds only winners). */
export function deriveFromWinners(
  id: string,
  record: ConversationRecord | undefined,
  status: MarkEntry | null | undefined,
  flag: MarkEntry | null | undefined,
  pin: MarkEntry | null | undefined,
  assign: MarkEntry | null | undefined,
  snoozeWinner?: MarkEntry | null,
): Conversation {
  const incomingSeq = record?.incoming?.seq ?? 0
  const snooze = deriveSnooze(snoozeWinner, status, record)

  const statusSeen = !!status && status.seen >= incomingSeq
  const flagSeen = !!flag && flag.seen >= incomingSeq
  // An unseen incoming activity on the winning flag reopens too: never Done + Unread (P3).
  // A snooze newer than the status winner puts the conversation away to come back: Open [Z3].
  const done = statusSeen && flagSeen && status.kind === 'done' && !snooze
  const unread = flagSeen ? flag.kind === 'unread' : incomingSeq > 0

  const decider = status && flag ? (flag.at > status.at ? flag : status) : (status ?? flag)
  const decidedBy: Decision | null = decider
    ? {
        memberId: decider.by,
        deviceId: decider.device,
        kind: decider.kind as MarkKind,
        at: decider.at,
      }
    : null
  const statusBy: Decision | null = status
    ? { memberId: status.by, deviceId: status.device, kind: status.kind as MarkKind, at: status.at }
    : null
  const reopenedBy =
    decider && record?.incoming && decider.seen < incomingSeq ? record.incoming.id : null

  return {
    id,
    phoneNumberId: record?.phoneNumberId ?? '',
    participants: record?.participants ?? [],
    contactName: record?.contactName ?? null,
    status: done ? 'done' : 'open',
    unread,
    pinned: pin?.kind === 'pin',
    assignee: assign?.value ?? null,
    lastActivity: record?.last ?? null,
    decidedBy,
    statusBy,
    reopenedBy,
    createdAt: record?.createdAt ?? 0,
    snooze,
  }
}

export function sameConversation(a: Conversation, b: Conversation): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
