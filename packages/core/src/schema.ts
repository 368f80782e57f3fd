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

export const Lane = { Status: 'status', Flag: 'flag', Pin: 'pin', Assign: 'assign' } as const
export type Lane = (typeof Lane)[keyof typeof Lane]
export const lanes: readonly Lane[] = Object.values(Lane)

/** One device's latest intent on one lane of one conversation. */
export interface MarkEntry {
  kind: MarkKind | 'pin' | 'unpin' | 'assign'
  /** Serialized HLC timestamp of the author's device. */
  at: string
  by: string
  device: string
  /** The incoming-activity sequence number the author's replica had seen (P3). */
  seen: number
  /** Assignee for the assign lane. */
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

export function parseMarkKey(
  key: string,
): { conversationId: string; lane: Lane; deviceId: string } | null {
  const parts = key.split(SEP)
  if (parts.length !== 3) return null
  const [conversationId, lane, deviceId] = parts as [string, string, string]
  if (!(lanes as readonly string[]).includes(lane) || !conversationId || !deviceId) return null
  return { conversationId, lane: lane as Lane, deviceId }
}

export const inboxRoots = {
  conversations: (doc: Y.Doc) => doc.getMap<ConversationRecord>('conversations'),
  marks: (doc: Y.Doc) => doc.getMap<MarkEntry>('marks'),
  history: (doc: Y.Doc) => doc.getArray<HistoryEntry>('history'),
  mentions: (doc: Y.Doc) => doc.getMap<Mention>('mentions'),
  activityLog: (doc: Y.Doc) => doc.getArray<ActivityLogEntry>('activityLog'),
}
