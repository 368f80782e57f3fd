/**
 * @module A per-document cache of lanes and derived state, kept current after each transaction,
 * so reads cost O(1) per conversation and listeners hear once per transaction.
 */
import type * as Y from 'yjs'
import {
  deriveConversation,
  deriveFromWinners,
  emptyLanes,
  noLanes,
  sameConversation,
  type ConversationLanes,
  type OwnLanes,
} from './derive.ts'
import { baseLanes, baseOf, type EpochBase } from './epoch-base.ts'
import { readMark } from './readers.ts'
import {
  decodeMark,
  decodeRecord,
  inboxRoots,
  lanes as allLanes,
  parseMarkKey,
  type ConversationRecord,
} from './schema.ts'
import type { Conversation, HistoryEntry } from './types.ts'

export interface InboxIndex {
  /** The epoch base [E6]: shared with the document's readers, never changed. */
  base: EpochBase
  /** Records written as live values (all of them before any epoch), decoded once. */
  liveRecords: Map<string, ConversationRecord>
  /** Lanes of conversations with live lane entries: their base winners and those entries. */
  liveLanes: Map<string, OwnLanes>
  derived: Map<string, Conversation>
  unread: number
  /** Conversations with a snooze not ended by a later mark [Z2]: what `nextWake` reads. */
  snoozed: Set<string>
  listeners: Set<(ids: Set<string>) => void>
  history: Map<string, HistoryEntry[]> | null
}

/** The key type of `Transaction.changed`. */
type SharedType = Parameters<Y.Transaction['changed']['get']>[0]

const indexes = new WeakMap<Y.Doc, InboxIndex>()
const noBase: EpochBase = new Map()

/** The record of `id`: its live value, else the base's. */
export function recordOf(idx: InboxIndex, id: string): ConversationRecord | undefined {
  return idx.liveRecords.get(id) ?? idx.base.get(id)?.record
}

/** The lanes of `id`. Read-only; built on demand for a conversation only the base holds. */
export function lanesOf(idx: InboxIndex, id: string): ConversationLanes {
  const live = idx.liveLanes.get(id)
  if (live) return live
  const c = idx.base.get(id)
  return c ? baseLanes(c) : noLanes
}

/** Every conversation record, decoded. */
export function forEachIndexedRecord(
  idx: InboxIndex,
  fn: (record: ConversationRecord, id: string) => void,
): void {
  idx.base.forEach((c, id) => {
    if (c.record && !idx.liveRecords.has(id)) fn(c.record, id)
  })
  idx.liveRecords.forEach(fn)
}

/** The lanes of every conversation that has a lane entry. */
export function forEachIndexedLanes(
  idx: InboxIndex,
  fn: (lanes: ConversationLanes, id: string) => void,
): void {
  idx.base.forEach((c, id) => {
    if (!idx.liveLanes.has(id) && (c.status || c.flag || c.pin || c.assign || c.snooze))
      fn(baseLanes(c), id)
  })
  idx.liveLanes.forEach(fn)
}

export function inboxIndex(doc: Y.Doc): InboxIndex {
  let index = indexes.get(doc)
  if (index) return index
  index = build(doc)
  indexes.set(doc, index)
  const conversations = inboxRoots.conversations(doc)
  const marks = inboxRoots.marks(doc)
  const history = inboxRoots.history(doc)
  const meta = inboxRoots.meta(doc)
  const idx = index
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    // A new epoch base (a replica taking an epoch into an empty document): read everything anew.
    if (tr.changed.get(meta as unknown as SharedType)?.has('base')) return rebuild(doc, idx)
    const touched = new Set<string>()
    const markKeys = tr.changed.get(marks as unknown as SharedType)
    if (markKeys) {
      for (const key of markKeys) {
        if (key === null) continue
        const parsed = parseMarkKey(key)
        if (!parsed) continue
        const lane = ownLanes(idx, parsed.conversationId)[parsed.lane]
        // A deleted live value uncovers the base's under the same key.
        const entry = readMark(doc, key)
        if (entry) lane.set(parsed.deviceId, entry)
        else lane.delete(parsed.deviceId)
        touched.add(parsed.conversationId)
      }
    }
    const convKeys = tr.changed.get(conversations as unknown as SharedType)
    if (convKeys)
      for (const id of convKeys) {
        if (id === null) continue
        const stored = conversations.get(id)
        if (stored === undefined) idx.liveRecords.delete(id)
        else idx.liveRecords.set(id, decodeRecord(id, stored))
        touched.add(id)
      }
    if (tr.changed.has(history as unknown as SharedType)) idx.history = null
    if (touched.size === 0) return
    const changed = new Set<string>()
    for (const id of touched) {
      const prev = idx.derived.get(id)
      const record = recordOf(idx, id)
      const next = record ? deriveConversation(id, record, lanesOf(idx, id)) : null
      if (!prev && !next) continue
      if (prev && next && sameConversation(prev, next)) continue
      if (prev?.unread) idx.unread--
      if (next) {
        idx.derived.set(id, next)
        if (next.unread) idx.unread++
      } else idx.derived.delete(id)
      if (next?.snooze) idx.snoozed.add(id)
      else idx.snoozed.delete(id)
      changed.add(id)
    }
    if (changed.size === 0) return
    for (const listener of idx.listeners) listener(changed)
  })
  return index
}

/** The lanes of `id` the index may change, holding its base winners to start with. */
function ownLanes(idx: Pick<InboxIndex, 'base' | 'liveLanes'>, id: string): OwnLanes {
  let lanes = idx.liveLanes.get(id)
  if (lanes) return lanes
  lanes = emptyLanes()
  const c = idx.base.get(id)
  if (c) for (const lane of allLanes) if (c[lane]) lanes[lane].set(c[lane].device, c[lane])
  idx.liveLanes.set(id, lanes)
  return lanes
}

function build(doc: Y.Doc): InboxIndex {
  const base = baseOf(doc) ?? noBase
  const idx: InboxIndex = {
    base,
    liveRecords: new Map(),
    liveLanes: new Map(),
    derived: new Map(),
    unread: 0,
    snoozed: new Set(),
    listeners: new Set(),
    history: null,
  }
  // Live values written since the epoch override the base's under the same key.
  inboxRoots.marks(doc).forEach((stored, key) => {
    const parsed = parseMarkKey(key)
    const entry = parsed && decodeMark(parsed.deviceId, stored)
    if (parsed && entry)
      ownLanes(idx, parsed.conversationId)[parsed.lane].set(parsed.deviceId, entry)
  })
  inboxRoots
    .conversations(doc)
    .forEach((stored, id) => idx.liveRecords.set(id, decodeRecord(id, stored)))
  const add = (conversation: Conversation) => {
    idx.derived.set(conversation.id, conversation)
    if (conversation.unread) idx.unread++
    if (conversation.snooze) idx.snoozed.add(conversation.id)
  }
  // Most conversations of a big room are only in the base: derived from its winners, no lanes.
  base.forEach((c, id) => {
    if (!c.record || idx.liveRecords.has(id)) return
    const live = idx.liveLanes.get(id)
    add(
      live
        ? deriveConversation(id, c.record, live)
        : deriveFromWinners(id, c.record, c.status, c.flag, c.pin, c.assign, c.snooze),
    )
  })
  idx.liveRecords.forEach((record, id) => add(deriveConversation(id, record, lanesOf(idx, id))))
  return idx
}

/** Replaces the index's contents in place (listeners keep listening) and tells them of every conversation. */
function rebuild(doc: Y.Doc, idx: InboxIndex): void {
  const before = new Set(idx.derived.keys())
  const next = build(doc)
  idx.base = next.base
  idx.liveRecords = next.liveRecords
  idx.liveLanes = next.liveLanes
  idx.derived = next.derived
  idx.unread = next.unread
  idx.snoozed = next.snoozed
  idx.history = null
  const changed = new Set([...before, ...idx.derived.keys()])
  if (changed.size === 0) return
  for (const listener of idx.listeners) listener(changed)
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
