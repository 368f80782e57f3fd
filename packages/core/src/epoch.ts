/**
 * @module Epochs: an inbox room rebuilt from its live state, and how a replica of an older
 * epoch moves into it without losing anything [E1–E5].
 *
 * A year of marks leaves a Yjs document full of overwritten values (tombstones) and of client
 * ids. The relay periodically starts a new epoch: a fresh document holding only what `derive`
 * reads — every conversation record, each lane's winning entry, mentions, the activity log and
 * the audit history newer than a cutoff (older history moves to the relay's archive). Nothing
 * of the old document's structure survives, so the two epochs cannot be merged by Yjs.
 *
 * Bob's laptop holds the old epoch and, offline, marked c7 Done. Marks are intents with HLC
 * timestamps and `seen`: his replica takes the new epoch as it comes and replays into it its
 * own entries the new epoch does not cover — a lane entry newer than that lane's winner, a
 * history entry newer than the cutoff that is not there yet, a mention. Each replayed entry
 * is the same intent with the same `at` and `seen`, so the derived state is exactly what it
 * would have been had the relay never compacted (P1–P6 hold across epochs).
 */
import * as Y from 'yjs'
import { winner } from './derive.ts'
import { timestampWall } from './hlc.ts'
import { forEachIndexedLanes, forEachIndexedRecord, inboxIndex, lanesOf } from './inbox-index.ts'
import { encodeBase, encodeBaseLog, type BaseMark } from './epoch-base.ts'
import { forEachMark, readActivityLog } from './readers.ts'
import { mutesRoot } from './rules.ts'
import {
  encodeMark,
  inboxRoots,
  lanes as allLanes,
  type ConversationRecord,
  type MarkEntry,
} from './schema.ts'
import type { HistoryEntry, Mention } from './types.ts'

/** The relay-written root that names the epoch: `epoch`, `previous`, `historySince`, `startedAt`. */
export const epochRoot = (doc: Y.Doc) => doc.getMap<string | number | null>('meta')

export interface EpochInfo {
  /** The epoch id; null for a room that was never compacted. */
  id: string | null
  previous: string | null
  /** History entries with a wall time below this (ms) live in the relay's archive. */
  historySince: number
  startedAt: number
}

/** The epoch a document belongs to [E1]. */
export function epochOf(doc: Y.Doc): EpochInfo {
  const meta = epochRoot(doc)
  const str = (k: string) => {
    const v = meta.get(k)
    return typeof v === 'string' ? v : null
  }
  const num = (k: string) => {
    const v = meta.get(k)
    return typeof v === 'number' ? v : 0
  }
  return {
    id: str('epoch'),
    previous: str('previous'),
    historySince: num('historySince'),
    startedAt: num('startedAt'),
  }
}

export interface CompactOptions {
  /** The new epoch's id (unique per room). */
  epoch: string
  /** History entries whose wall time is below this (ms) are archived, not copied (never below the source epoch's). */
  historySince: number
  /** When the epoch starts (ms), recorded in `meta`. */
  now: number
  /** Yjs client id of the writer of the new document (the relay); random when omitted. */
  clientID?: number
  origin?: unknown
}

export interface CompactResult {
  doc: Y.Doc
  /** History entries left out of the new epoch (older than `historySince`), in document order. */
  archived: HistoryEntry[]
  /** Lane entries dropped because another entry wins the lane. */
  droppedMarks: number
}

/**
 * Builds the next epoch of an inbox document: only the live state [E2]. Every conversation's
 * derived state in the result equals the source's, field for field.
 */
export function compactInbox(source: Y.Doc, options: CompactOptions): CompactResult {
  const doc = new Y.Doc()
  if (options.clientID !== undefined) doc.clientID = options.clientID
  const from = inboxIndex(source)
  const { id: previous, historySince: before } = epochOf(source)
  // The cutoff never moves back: a replica of an older epoch replays history at or after the
  // newest epoch's cutoff, and what an earlier epoch archived must not come back twice [E5].
  const historySince = Math.max(options.historySince, before)
  const archived: HistoryEntry[] = []
  const kept: HistoryEntry[] = []
  for (const entry of inboxRoots.history(source))
    (timestampWall(entry.at) < historySince ? archived : kept).push(entry)
  let droppedMarks = 0
  doc.transact(() => {
    const meta = epochRoot(doc)
    meta.set('epoch', options.epoch)
    meta.set('previous', previous)
    meta.set('historySince', historySince)
    meta.set('startedAt', options.now)
    // Records, winners and the log go into the epoch base [E6]: two items instead of one per
    // value (format-1 values are re-encoded on the way).
    const winners = new Map<string, BaseMark[]>()
    forEachIndexedLanes(from, (lanes, conversationId) => {
      const list: BaseMark[] = []
      for (const lane of allLanes) {
        const best = winner(lanes[lane])
        if (!best) continue
        droppedMarks += lanes[lane].size - 1
        list.push({ lane, entry: best })
      }
      if (list.length) winners.set(conversationId, list)
    })
    const records: [string, ConversationRecord][] = []
    forEachIndexedRecord(from, (record, id) => records.push([id, record]))
    meta.set('base', encodeBase(records, winners))
    meta.set('baseLog', encodeBaseLog(readActivityLog(source)))
    const mentions = inboxRoots.mentions(doc)
    inboxRoots.mentions(source).forEach((m, id) => mentions.set(id, m))
    // The relay's mirror of the number's mutes [F6] is live state too.
    const mutes = mutesRoot(doc)
    mutesRoot(source).forEach((m, id) => mutes.set(id, m))
    if (kept.length) inboxRoots.history(doc).push(kept)
  }, options.origin ?? null)
  return { doc, archived, droppedMarks }
}

export interface ReplayAuthor {
  memberId: string
  deviceId: string
}

export interface ReplayResult {
  marks: number
  history: number
  mentions: number
}

const historyKey = (e: Pick<HistoryEntry, 'deviceId' | 'at'>) => e.deviceId + ' ' + e.at

/**
 * Replays into `next` (a newer epoch, already synced from the relay) this device's entries of
 * `old` that `next` does not cover [E3]: lane entries newer than the lane's winner in `next`,
 * history entries at or after `next`'s `historySince` that `next` lacks, mentions `next` lacks
 * (or a clearing `next` has not seen). One transaction with `origin`, so it syncs as the
 * device's own write. A replayed lane entry that `next` already beats changes nothing.
 */
export function replayIntoEpoch(
  old: Y.Doc,
  next: Y.Doc,
  author: ReplayAuthor,
  origin: unknown = null,
): ReplayResult {
  const result: ReplayResult = { marks: 0, history: 0, mentions: 0 }
  const nextIndex = inboxIndex(next)
  const laneWrites: [string, MarkEntry][] = []
  forEachMark(old, (entry, key, parsed) => {
    if (parsed.deviceId !== author.deviceId || entry.by !== author.memberId) return
    const current = winner(lanesOf(nextIndex, parsed.conversationId)[parsed.lane])
    if (current && current.at >= entry.at) return
    laneWrites.push([key, entry])
  })
  const { historySince } = epochOf(next)
  const present = new Set<string>()
  for (const e of inboxRoots.history(next)) present.add(historyKey(e))
  const historyWrites: HistoryEntry[] = []
  for (const e of inboxRoots.history(old)) {
    if (e.deviceId !== author.deviceId || e.memberId !== author.memberId) continue
    if (timestampWall(e.at) < historySince) continue
    if (present.has(historyKey(e))) continue
    present.add(historyKey(e))
    historyWrites.push(e)
  }
  const nextMentions = inboxRoots.mentions(next)
  const mentionWrites: Mention[] = []
  inboxRoots.mentions(old).forEach((m, id) => {
    const mine = m.by === author.memberId || (m.memberId === author.memberId && m.cleared)
    if (!mine) return
    const there = nextMentions.get(id)
    if (!there || (m.cleared && !there.cleared)) mentionWrites.push(m)
  })
  if (!laneWrites.length && !historyWrites.length && !mentionWrites.length) return result
  next.transact(() => {
    const marks = inboxRoots.marks(next)
    for (const [key, entry] of laneWrites) marks.set(key, encodeMark(entry))
    if (historyWrites.length) inboxRoots.history(next).push(historyWrites)
    for (const m of mentionWrites) nextMentions.set(m.id, m)
  }, origin)
  result.marks = laneWrites.length
  result.history = historyWrites.length
  result.mentions = mentionWrites.length
  return result
}
