/**
 * @module Operations on an inbox document (one per phone number) [M1–M7].
 *
 * Marks are intents: each records the author's HLC timestamp and the incoming-activity
 * sequence its replica had seen. Undo is a new compensating mark, never a rewrite.
 */
import type * as Y from 'yjs'
import { summarize } from './activity.ts'
import { assert } from './assert.ts'
import { winner } from './derive.ts'
import { formatTimestamp, timestampWall } from './hlc.ts'
import { historyIndex, inboxIndex, lanesOf } from './inbox-index.ts'
import { readRecord } from './readers.ts'
import { isSnoozed } from './snooze-rules.ts'
import { isValidId } from './rooms.ts'
import {
  encodeLogEntry,
  encodeMark,
  encodeRecord,
  inboxRoots,
  Lane,
  markKey,
  type ActivityLogEntry,
  type ConversationRecord,
  type MarkEntry,
} from './schema.ts'
import {
  markKinds,
  type Activity,
  type Author,
  type Conversation,
  type HistoryEntry,
  type ListOptions,
  type MarkKind,
} from './types.ts'

const RECENT_IDS = 50

export interface IngestResult {
  created: boolean
  duplicate: boolean
  /** The conversation was Done (or read) and this incoming activity made it Open + Unread. */
  reopened: boolean
}

/** Records an activity in the inbox: creates the conversation, updates its summary; incoming reopens (P3). */
export function ingestActivity(
  doc: Y.Doc,
  activity: Activity,
  origin: unknown = null,
): IngestResult {
  const conversations = inboxRoots.conversations(doc)
  const before = getConversation(doc, activity.conversationId)
  const prev = readRecord(doc, activity.conversationId)
  if (prev?.recent.includes(activity.id))
    return { created: false, duplicate: true, reopened: false }
  const outside = activity.direction === 'incoming' ? activity.from : activity.to
  const next: ConversationRecord = {
    id: activity.conversationId,
    phoneNumberId: activity.phoneNumberId,
    participants: prev?.participants.includes(outside)
      ? prev.participants
      : [...(prev?.participants ?? []), outside],
    contactName: activity.contactName ?? prev?.contactName ?? null,
    createdAt: prev?.createdAt ?? activity.at,
    last: !prev?.last || activity.at >= prev.last.at ? summarize(activity) : prev.last,
    incoming:
      activity.direction === 'incoming'
        ? { id: activity.id, seq: (prev?.incoming?.seq ?? 0) + 1, at: activity.at }
        : (prev?.incoming ?? null),
    recent: [...(prev?.recent ?? []), activity.id].slice(-RECENT_IDS),
  }
  const logged: ActivityLogEntry = {
    conversationId: activity.conversationId,
    id: activity.id,
    direction: activity.direction,
    kind: activity.kind,
    at: activity.at,
  }
  if (activity.direction === 'incoming') logged.seq = next.incoming!.seq
  const sender = senderMember(activity)
  if (sender) logged.memberId = sender
  doc.transact(() => {
    conversations.set(activity.conversationId, encodeRecord(next))
    appendTo(inboxRoots.activityLog(doc), encodeLogEntry(logged))
  }, origin)
  const after = getConversation(doc, activity.conversationId)
  return {
    created: !prev,
    duplicate: false,
    reopened: !!before && !!after && (before.status === 'done' || !before.unread) && after.unread,
  }
}

/** The member behind an outgoing activity: `memberId`, or a `from` that is a member id, not a number. */
function senderMember(activity: Activity): string | null {
  if (activity.direction !== 'outgoing') return null
  if (activity.memberId) return activity.memberId
  return /^[A-Za-z]/.test(activity.from) && isValidId(activity.from) ? activity.from : null
}

/**
 * Writes the author's entries on `writes`' lanes and one history entry, stamped after the current
 * winners of those lanes and of `lift` (lanes whose winners the new entries are compared with).
 */
export function writeLanes(
  doc: Y.Doc,
  conversationId: string,
  writes: { lane: Lane; kind: MarkEntry['kind']; value?: string | null }[],
  historyKind: HistoryEntry['kind'],
  author: Author,
  origin: unknown,
  lift: readonly Lane[] = [],
): MarkEntry {
  assert(isValidId(conversationId), `invalid conversation id: ${JSON.stringify(conversationId)}`)
  assert(isValidId(author.deviceId), `invalid device id: ${JSON.stringify(author.deviceId)}`)
  assert(author.memberId.length > 0, 'author.memberId must not be empty')
  const lanes = lanesOf(inboxIndex(doc), conversationId)
  // Lift the clock past what this replica has seen, so a later intent sorts later (P5), however
  // far behind this device's clock runs: stored marks were bounded by the relay's clock (P6).
  for (const lane of [...writes.map((w) => w.lane), ...lift]) {
    const current = winner(lanes[lane])
    if (current) author.clock.receive(current.at, { trusted: true })
  }
  const at = formatTimestamp(author.clock.tick())
  const seen = readRecord(doc, conversationId)?.incoming?.seq ?? 0
  const marks = inboxRoots.marks(doc)
  let written: MarkEntry | null = null
  doc.transact(() => {
    for (const { lane, kind, value } of writes) {
      const entry: MarkEntry = { kind, at, by: author.memberId, device: author.deviceId, seen }
      if (value !== undefined) entry.value = value
      marks.set(markKey(conversationId, lane, author.deviceId), encodeMark(entry))
      written = entry
    }
    const record: HistoryEntry = {
      conversationId,
      kind: historyKind,
      memberId: author.memberId,
      deviceId: author.deviceId,
      at,
      seen,
    }
    const valued = writes.find((w) => w.lane === Lane.Assign || w.lane === Lane.Snooze)
    if (valued) record.value = valued.value ?? null
    appendTo(inboxRoots.history(doc), record)
  }, origin)
  return written!
}

/**
 * Appends at the end through Yjs's search markers: `Y.Array.push` walks the whole list from its
 * start when no marker exists, so a history of n unmerged items (marks from many devices) made
 * every mark cost O(n), and building a big history quadratic (docs/bounded-documents.md).
 */
function appendTo<T>(array: Y.Array<T>, value: T): void {
  array.insert(array.length, [value])
}

/** Records a Done/Open/Unread/Read intent with the author's HLC and what they had seen. */
export function markConversation(
  doc: Y.Doc,
  conversationId: string,
  kind: MarkKind,
  author: Author,
  origin: unknown = null,
): MarkEntry {
  assert(markKinds.includes(kind), `unknown mark kind: ${JSON.stringify(kind)}`)
  // Read only clears the flag; every other kind also sets the status [M3].
  const writes: { lane: Lane; kind: MarkKind }[] =
    kind === 'read'
      ? [{ lane: Lane.Flag, kind }]
      : [
          { lane: Lane.Status, kind },
          { lane: Lane.Flag, kind },
        ]
  // A Done/Open/Unread made after seeing a snooze sorts after it, so it ends it [Z2].
  const lift = kind === 'read' ? [] : [Lane.Snooze]
  return writeLanes(doc, conversationId, writes, kind, author, origin, lift)
}

export function pinConversation(doc: Y.Doc, id: string, author: Author, origin: unknown = null) {
  return writeLanes(doc, id, [{ lane: Lane.Pin, kind: 'pin' }], 'pin', author, origin)
}

export function unpinConversation(doc: Y.Doc, id: string, author: Author, origin: unknown = null) {
  return writeLanes(doc, id, [{ lane: Lane.Pin, kind: 'unpin' }], 'unpin', author, origin)
}

export function assignConversation(
  doc: Y.Doc,
  id: string,
  memberId: string | null,
  author: Author,
  origin: unknown = null,
) {
  return writeLanes(
    doc,
    id,
    [{ lane: Lane.Assign, kind: 'assign', value: memberId }],
    'assign',
    author,
    origin,
  )
}

/** The derived state of one conversation, or null when the inbox has no such conversation. */
export function getConversation(doc: Y.Doc, id: string): Conversation | null {
  return inboxIndex(doc).derived.get(id) ?? null
}

export function conversationIds(doc: Y.Doc): string[] {
  return [...inboxIndex(doc).derived.keys()]
}

/** Pinned first, then newest activity first; ids break ties so every replica lists alike. */
export function compareForList(a: Conversation, b: Conversation): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1
  const at = (a.lastActivity?.at ?? a.createdAt) - (b.lastActivity?.at ?? b.createdAt)
  if (at !== 0) return at > 0 ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Whether `c` is listed by `options`' view at `options.now` [B7, Z5]. */
export function matchesView(c: Conversation, options: ListOptions): boolean {
  const snoozed = c.snooze !== null && isSnoozed(c, options.now)
  if (options.view === 'snoozed' && !snoozed) return false
  if (options.view === 'inbox' && (c.status !== 'open' || snoozed)) return false
  if (options.view === 'done' && c.status !== 'done') return false
  if (options.view === 'unread' && (!c.unread || snoozed)) return false
  if (options.assignee !== undefined && c.assignee !== options.assignee) return false
  if (options.query) {
    const q = options.query.trim().toLowerCase()
    if (
      q &&
      !(c.contactName ?? '').toLowerCase().includes(q) &&
      !c.participants.some((p) => p.toLowerCase().includes(q)) &&
      !(c.lastActivity?.preview ?? '').toLowerCase().includes(q)
    )
      return false
  }
  return true
}

export function listConversations(doc: Y.Doc, options: ListOptions): Conversation[] {
  const out: Conversation[] = []
  for (const c of inboxIndex(doc).derived.values()) if (matchesView(c, options)) out.push(c)
  return out.sort(compareForList)
}

/** Unread conversations: the badge on the phone number. */
export function unreadCount(doc: Y.Doc): number {
  return inboxIndex(doc).unread
}

/** Listener gets the ids whose derived state changed, once per transaction. Returns unsubscribe. */
export function onConversationsChange(
  doc: Y.Doc,
  listener: (ids: Set<string>) => void,
): () => void {
  const { listeners } = inboxIndex(doc)
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** The marks made on a conversation, in HLC order: the audit behind "who marked what". */
export function history(doc: Y.Doc, id: string): HistoryEntry[] {
  return historyIndex(doc).get(id) ?? []
}

/** Drops audit entries older than `beforeWall` (ms); returns how many were removed. */
export function compactHistory(doc: Y.Doc, beforeWall: number, origin: unknown = null): number {
  const array = inboxRoots.history(doc)
  const entries = array.toArray()
  let removed = 0
  doc.transact(() => {
    for (let end = entries.length - 1; end >= 0; end--) {
      if (timestampWall(entries[end]!.at) >= beforeWall) continue
      let start = end
      while (start > 0 && timestampWall(entries[start - 1]!.at) < beforeWall) start--
      array.delete(start, end - start + 1)
      removed += end - start + 1
      end = start
    }
  }, origin)
  return removed
}
