/**
 * @module Reading an inbox document's records, lane entries and activity log, whatever their
 * format: live Yjs items (format 1 objects or format 2 tuples) over the epoch base [E6]. A live
 * value written after the epoch overrides the base value under the same key.
 */
import type * as Y from 'yjs'
import { baseLogOf, baseOf } from './epoch-base.ts'
import {
  decodeLogEntry,
  decodeMark,
  decodeRecord,
  inboxRoots,
  lanes as allLanes,
  markKey,
  parseMarkKey,
  type ActivityLogEntry,
  type ConversationRecord,
  type MarkEntry,
  type ParsedMarkKey,
} from './schema.ts'

/** The conversation record of `id`, decoded, or undefined when the inbox has no such conversation. */
export function readRecord(doc: Y.Doc, id: string): ConversationRecord | undefined {
  const stored = inboxRoots.conversations(doc).get(id)
  if (stored !== undefined) return decodeRecord(id, stored)
  return baseOf(doc)?.get(id)?.record
}

/** Every conversation record, decoded: live ones in map order, then the rest of the base. */
export function forEachRecord(doc: Y.Doc, fn: (record: ConversationRecord, id: string) => void) {
  const live = inboxRoots.conversations(doc)
  live.forEach((stored, id) => fn(decodeRecord(id, stored), id))
  baseOf(doc)?.forEach((c, id) => {
    if (c.record && !live.has(id)) fn(c.record, id)
  })
}

/** The activity log, decoded, in ingestion order (the base's entries came first). */
export function readActivityLog(doc: Y.Doc): ActivityLogEntry[] {
  const live = inboxRoots.activityLog(doc).toArray().map(decodeLogEntry)
  const base = baseLogOf(doc)
  return base.length ? base.concat(live) : live
}

/** The entry under a mark key, decoded; undefined when absent or unreadable. */
export function readMark(doc: Y.Doc, key: string): MarkEntry | undefined {
  const parsed = parseMarkKey(key)
  if (!parsed) return undefined
  const stored = inboxRoots.marks(doc).get(key)
  if (stored !== undefined) return decodeMark(parsed.deviceId, stored) ?? undefined
  const entry = baseOf(doc)?.get(parsed.conversationId)?.[parsed.lane]
  return entry?.device === parsed.deviceId ? entry : undefined
}

/** Every readable lane entry with its parsed key: live ones, then the base's not overridden. */
export function forEachMark(
  doc: Y.Doc,
  fn: (entry: MarkEntry, key: string, parsed: ParsedMarkKey) => void,
): void {
  const live = inboxRoots.marks(doc)
  live.forEach((stored, key) => {
    const parsed = parseMarkKey(key)
    if (!parsed) return
    const entry = decodeMark(parsed.deviceId, stored)
    if (entry) fn(entry, key, parsed)
  })
  baseOf(doc)?.forEach((c, conversationId) => {
    for (const lane of allLanes) {
      const entry = c[lane]
      if (!entry) continue
      const key = markKey(conversationId, lane, entry.device)
      if (!live.has(key)) fn(entry, key, { conversationId, lane, deviceId: entry.device })
    }
  })
}
