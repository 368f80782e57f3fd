/**
 * @module The inbox document's layout [M1].
 *
 * Every value a device writes sits under a key only that device writes
 * (`<conversation>␟<lane>␟<device>`), so Yjs never has to pick a winner between two writers:
 * the winner is chosen by `derive` from HLC timestamps (P2), identically on every replica (P1).
 */
import type * as Y from 'yjs'
import type {
  ActivityDirection,
  ActivityKind,
  ActivitySummary,
  HistoryEntry,
  MarkKind,
  Mention,
} from './types.ts'

export const Lane = {
  Status: 'status',
  Flag: 'flag',
  Pin: 'pin',
  Assign: 'assign',
  Snooze: 'snooze',
} as const
export type Lane = (typeof Lane)[keyof typeof Lane]
export const lanes: readonly Lane[] = Object.values(Lane)

/** One device's latest intent on one lane of one conversation. */
export interface MarkEntry {
  kind: MarkKind | 'pin' | 'unpin' | 'assign' | 'snooze' | 'unsnooze'
  /** Serialized HLC timestamp of the author's device. */
  at: string
  by: string
  device: string
  /** The incoming-activity sequence number the author's replica had seen (P3). */
  seen: number
  /** Assignee for the assign lane; wake time (ms, decimal) or `reply` for a snooze [Z1]. */
  value?: string | null
}

/** What the relay (the only ingesting peer) records per conversation. */
export interface ConversationRecord {
  id: string
  phoneNumberId: string
  participants: string[]
  contactName: string | null
  createdAt: number
  last: ActivitySummary | null
  /** Newest incoming activity and how many incoming activities there were (P3). */
  incoming: { id: string; seq: number; at: number } | null
  /** Ids of recent activities, so a webhook delivered twice changes nothing. */
  recent: string[]
}

/**
 * One activity as the team figures need it: appended by the ingesting peer (the relay) only,
 * in ingestion order, so every replica holds the same log [M1].
 */
export interface ActivityLogEntry {
  conversationId: string
  id: string
  direction: ActivityDirection
  kind: ActivityKind
  /** Milliseconds since the epoch, as the provider saw it. */
  at: number
  /** Incoming only: the conversation's incoming sequence number after this activity [M4]. */
  seq?: number
  /** Outgoing only: the member who sent it through the app. */
  memberId?: string
}

export const SEP = '\u001f'

export function markKey(conversationId: string, lane: Lane, deviceId: string): string {
  return conversationId + SEP + lane + SEP + deviceId
}

export interface ParsedMarkKey {
  conversationId: string
  lane: Lane
  deviceId: string
}

export function parseMarkKey(key: string): ParsedMarkKey | null {
  const parts = key.split(SEP)
  if (parts.length !== 3) return null
  const [conversationId, lane, deviceId] = parts as [string, string, string]
  if (!(lanes as readonly string[]).includes(lane) || !conversationId || !deviceId) return null
  return { conversationId, lane: lane as Lane, deviceId }
}

/**
 * How the relay stores a record or a log entry: a compact JSON tuple (format 2), or the object
 * written before it (format 1, still read). An object repeats every key name in every record, and
 * Yjs decodes it field by field; a string is one read, parsed only when derived
 * (docs/bounded-documents.md §7).
 */
export type StoredRecord = ConversationRecord | string
export type StoredLogEntry = ActivityLogEntry | string

const DIRECTIONS = { incoming: 'i', outgoing: 'o' } as const
const KINDS = { message: 'm', call: 'c', voicemail: 'v' } as const
const direction = (code: unknown): ActivityDirection => (code === 'o' ? 'outgoing' : 'incoming')
const kind = (code: unknown): ActivityKind =>
  code === 'c' ? 'call' : code === 'v' ? 'voicemail' : 'message'

export type RecordTuple = [
  2,
  string,
  string[],
  string | null,
  number,
  [string, string, string, string, number] | null,
  [string, number, number] | null,
  string[],
]

export function encodeRecord(r: ConversationRecord): string {
  const tuple: RecordTuple = [
    2,
    r.phoneNumberId,
    r.participants,
    r.contactName,
    r.createdAt,
    r.last
      ? [r.last.id, DIRECTIONS[r.last.direction], KINDS[r.last.kind], r.last.preview, r.last.at]
      : null,
    r.incoming ? [r.incoming.id, r.incoming.seq, r.incoming.at] : null,
    r.recent,
  ]
  return JSON.stringify(tuple)
}

/** The record under `id` in either format. */
export function decodeRecord(id: string, stored: StoredRecord): ConversationRecord {
  if (typeof stored !== 'string') return stored
  return decodeRecordTuple(id, JSON.parse(stored) as RecordTuple)
}

export function decodeRecordTuple(id: string, tuple: RecordTuple): ConversationRecord {
  const [, phoneNumberId, participants, contactName, createdAt, last, incoming, recent] = tuple
  return {
    id,
    phoneNumberId,
    participants,
    contactName,
    createdAt,
    last: last
      ? {
          id: last[0],
          direction: direction(last[1]),
          kind: kind(last[2]),
          preview: last[3],
          at: last[4],
        }
      : null,
    incoming: incoming ? { id: incoming[0], seq: incoming[1], at: incoming[2] } : null,
    recent,
  }
}

export function encodeLogEntry(e: ActivityLogEntry): string {
  return JSON.stringify([
    e.conversationId,
    e.id,
    DIRECTIONS[e.direction],
    KINDS[e.kind],
    e.at,
    e.seq ?? null,
    e.memberId ?? null,
  ])
}

export function decodeLogEntry(stored: StoredLogEntry): ActivityLogEntry {
  if (typeof stored !== 'string') return stored
  const [conversationId, id, d, k, at, seq, memberId] = JSON.parse(stored) as [
    string,
    string,
    string,
    string,
    number,
    number | null,
    string | null,
  ]
  const entry: ActivityLogEntry = { conversationId, id, direction: direction(d), kind: kind(k), at }
  if (seq !== null) entry.seq = seq
  if (memberId !== null) entry.memberId = memberId
  return entry
}

/** A lane entry as stored: `[kind, at, by, seen]` (+ `value` on the assign lane) in format 2; the device is the key's. */
export type StoredMark = MarkEntry | string

export function encodeMark(m: MarkEntry): string {
  return JSON.stringify(
    m.value === undefined ? [m.kind, m.at, m.by, m.seen] : [m.kind, m.at, m.by, m.seen, m.value],
  )
}

/**
 * The entry of `deviceId`'s key in either format, fields as stored (the relay's validation
 * checks their types before anything is kept [M8]); null when a string is not a tuple.
 */
export function decodeMark(deviceId: string, stored: StoredMark): MarkEntry | null {
  if (typeof stored !== 'string') return stored
  let tuple: unknown
  try {
    tuple = JSON.parse(stored)
  } catch {
    return null
  }
  if (!Array.isArray(tuple) || tuple.length < 4 || tuple.length > 5) return null
  const [kind, at, by, seen, value] = tuple as [
    MarkEntry['kind'],
    string,
    string,
    number,
    string | null,
  ]
  const entry: MarkEntry = { kind, at, by, device: deviceId, seen }
  if (tuple.length === 5) entry.value = value
  return entry
}

export const inboxRoots = {
  conversations: (doc: Y.Doc) => doc.getMap<StoredRecord>('conversations'),
  marks: (doc: Y.Doc) => doc.getMap<StoredMark>('marks'),
  history: (doc: Y.Doc) => doc.getArray<HistoryEntry>('history'),
  mentions: (doc: Y.Doc) => doc.getMap<Mention>('mentions'),
  activityLog: (doc: Y.Doc) => doc.getArray<StoredLogEntry>('activityLog'),
  /** Relay-written: the epoch's names [E1] and its base [E6]. */
  meta: (doc: Y.Doc) => doc.getMap<unknown>('meta'),
}
