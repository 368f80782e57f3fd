/**
 * @module Workload 5 (its own process): an inbox document grown through core — N conversations
 * ingested, then M marks from 50 devices — against a document holding the same live state built
 * fresh, and against its epoch (what the relay serves after compacting it, docs/bounded-documents.md).
 */
import * as Y from 'yjs'
import { compactInbox, inboxRoots, listConversations, unreadCount } from '@switchboard/core'
import { growRoom } from './grown-room.ts'
import { send } from './load/client.ts'

type Command = { cmd: 'run'; conversations: number; marks: number; devices: number }

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function measure(encoded: Uint8Array) {
  gc()
  const heap0 = process.memoryUsage().heapUsed
  const t0 = performance.now()
  const doc = new Y.Doc()
  Y.applyUpdate(doc, encoded)
  const loadMs = performance.now() - t0
  const t1 = performance.now()
  const inbox = listConversations(doc, { view: 'inbox' }).length
  const unread = unreadCount(doc)
  const viewMs = performance.now() - t1
  gc()
  const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20
  const result = { bytes: encoded.byteLength, loadMs, viewMs, heapMiB, inbox, unread }
  doc.destroy()
  return result
}

function run({ conversations, marks, devices }: Omit<Command, 'cmd'>) {
  const {
    doc,
    conversationsOnlyBytes: freshBytes,
    buildMs,
  } = growRoom(conversations, marks, devices)
  const grown = Y.encodeStateAsUpdate(doc)
  const historyEntries = inboxRoots.history(doc).length
  // The same live state built fresh: conversation records and the winning mark entries, no history.
  const fresh = new Y.Doc()
  fresh.transact(() => {
    const conv = inboxRoots.conversations(fresh)
    for (const [k, v] of inboxRoots.conversations(doc).entries()) conv.set(k, v)
    const m = inboxRoots.marks(fresh)
    for (const [k, v] of inboxRoots.marks(doc).entries()) m.set(k, v)
  })
  const freshLive = Y.encodeStateAsUpdate(fresh)
  const liveMarks = inboxRoots.marks(doc).size
  // What the relay serves after an epoch (all history archived): the live state in its base.
  const epochDoc = compactInbox(doc, { epoch: 'bench', historySince: Date.now() + 1, now: 0 }).doc
  const epoch = Y.encodeStateAsUpdate(epochDoc)
  epochDoc.destroy()
  doc.destroy()
  fresh.destroy()
  return {
    conversations,
    marks,
    devices,
    buildMs,
    historyEntries,
    liveMarks,
    conversationsOnlyBytes: freshBytes,
    grown: measure(grown),
    fresh: measure(freshLive),
    epoch: measure(epoch),
  }
}

process.on('message', (m: Command) => {
  try {
    send({ ok: true, value: run(m) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
