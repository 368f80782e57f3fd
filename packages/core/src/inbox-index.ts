/**
 * @module A per-document cache of lanes and derived state, kept current after each transaction,
 * so reads cost O(1) per conversation and listeners hear once per transaction.
 */
import type * as Y from 'yjs'
import {
  deriveConversation,
  emptyLanes,
  sameConversation,
  type ConversationLanes,
} from './derive.ts'
import {
  decodeMark,
  decodeRecord,
  forEachMark,
  forEachRecord,
  inboxRoots,
  parseMarkKey,
  type ConversationRecord,
  type MarkEntry,
} from './schema.ts'
import type { Conversation, HistoryEntry } from './types.ts'

export interface InboxIndex {
  /** Each conversation record, decoded once (format 2 stores them as strings). */
  records: Map<string, ConversationRecord>
  lanes: Map<string, ConversationLanes>
  derived: Map<string, Conversation>
  unread: number
  listeners: Set<(ids: Set<string>) => void>
  history: Map<string, HistoryEntry[]> | null
}

/** The key type of `Transaction.changed`. */
type SharedType = Parameters<Y.Transaction['changed']['get']>[0]

const indexes = new WeakMap<Y.Doc, InboxIndex>()

export function inboxIndex(doc: Y.Doc): InboxIndex {
  let index = indexes.get(doc)
  if (index) return index
  index = build(doc)
  indexes.set(doc, index)
  const conversations = inboxRoots.conversations(doc)
  const marks = inboxRoots.marks(doc)
  const history = inboxRoots.history(doc)
  const idx = index
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    const touched = new Set<string>()
    const markKeys = tr.changed.get(marks as unknown as SharedType)
    if (markKeys) {
      for (const key of markKeys) {
        if (key === null) continue
        const parsed = parseMarkKey(key)
        if (!parsed) continue
        let lanes = idx.lanes.get(parsed.conversationId)
        if (!lanes) idx.lanes.set(parsed.conversationId, (lanes = emptyLanes()))
        const stored = marks.get(key)
        const entry = stored === undefined ? null : decodeMark(parsed.deviceId, stored)
        if (entry) lanes[parsed.lane].set(parsed.deviceId, entry)
        else lanes[parsed.lane].delete(parsed.deviceId)
        touched.add(parsed.conversationId)
      }
    }
    const convKeys = tr.changed.get(conversations as unknown as SharedType)
    if (convKeys) for (const key of convKeys) if (key !== null) touched.add(key)
    if (tr.changed.has(history as unknown as SharedType)) idx.history = null
    if (touched.size === 0) return
    const changed = new Set<string>()
    for (const id of touched) {
      const prev = idx.derived.get(id)
      let record = idx.records.get(id)
      if (convKeys?.has(id)) {
        const stored = conversations.get(id)
        record = stored === undefined ? undefined : decodeRecord(id, stored)
        if (record) idx.records.set(id, record)
        else idx.records.delete(id)
      }
      const next = record ? deriveConversation(id, record, idx.lanes.get(id) ?? emptyLanes()) : null
      if (!prev && !next) continue
      if (prev && next && sameConversation(prev, next)) continue
      if (prev?.unread) idx.unread--
      if (next) {
        idx.derived.set(id, next)
        if (next.unread) idx.unread++
      } else idx.derived.delete(id)
      changed.add(id)
    }
    if (changed.size === 0) return
    for (const listener of idx.listeners) listener(changed)
  })
  return index
}

function build(doc: Y.Doc): InboxIndex {
  const lanesById = new Map<string, ConversationLanes>()
  forEachMark(doc, (entry: MarkEntry, _key, parsed) => {
    let lanes = lanesById.get(parsed.conversationId)
    if (!lanes) lanesById.set(parsed.conversationId, (lanes = emptyLanes()))
    lanes[parsed.lane].set(parsed.deviceId, entry)
  })
  const derived = new Map<string, Conversation>()
  const records = new Map<string, ConversationRecord>()
  let unread = 0
  forEachRecord(doc, (record, id) => {
    records.set(id, record)
    const conversation = deriveConversation(id, record, lanesById.get(id) ?? emptyLanes())
    derived.set(id, conversation)
    if (conversation.unread) unread++
  })
  return { records, lanes: lanesById, derived, unread, listeners: new Set(), history: null }
}

export function historyIndex(doc: Y.Doc): Map<string, HistoryEntry[]> {
  const index = inboxIndex(doc)
  if (index.history) return index.history
  const byId = new Map<string, HistoryEntry[]>()
  for (const entry of inboxRoots.history(doc).toArray()) {
    let list = byId.get(entry.conversationId)
    if (!list) byId.set(entry.conversationId, (list = []))
    list.push(entry)
  }
  for (const list of byId.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  index.history = byId
  return byId
}
