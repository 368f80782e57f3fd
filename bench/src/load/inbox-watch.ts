/**
 * @module T7's watchers (their own process): a member's socket per inbox room and relay, each
 * syncing the room into a Y.Doc and noting when each activity id first appears in its activity
 * log (Date.now(), the clock load/webhooks.ts stamps its sends with), for "visible in the inbox".
 */
import * as Y from 'yjs'
import { decodeLogEntry, inboxRoots, type StoredLogEntry } from '@switchboard/core'
import type { Target } from '../target.ts'
import { openSocket, send, type Socket } from './client.ts'

type Command =
  | { cmd: 'watch'; targets: { label: string; target: Target }[] }
  | { cmd: 'seen' }
  | { cmd: 'close' }

/** Per watcher label: activity id → when it was first seen. */
const seen = new Map<string, Map<string, number>>()
const sockets: Socket[] = []

async function watch(label: string, target: Target): Promise<void> {
  const doc = new Y.Doc()
  const at = seen.get(label) ?? new Map<string, number>()
  seen.set(label, at)
  inboxRoots.activityLog(doc).observe((event) => {
    const now = Date.now()
    for (const item of event.changes.added)
      for (const stored of item.content.getContent() as StoredLogEntry[]) {
        const { id } = decodeLogEntry(stored)
        if (!at.has(id)) at.set(id, now)
      }
  })
  const socket = openSocket(target, (msg) => {
    if (msg.type === 'step-2' || msg.type === 'update') Y.applyUpdate(doc, msg.update)
  })
  sockets.push(socket)
  await socket.ready
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'watch') {
      // One at a time: the first socket of a room loads it at its relay (which then owns it).
      for (const { label, target } of m.targets) await watch(label, target)
      send({ ok: true, value: sockets.length })
    } else if (m.cmd === 'seen') {
      const out: Record<string, Record<string, number>> = {}
      for (const [label, at] of seen) out[label] = Object.fromEntries(at)
      const closed = sockets.filter((s) => s.closeCode !== null).length
      send({ ok: true, value: { seen: out, closed } })
    } else {
      for (const s of sockets) s.ws.close()
      send({ ok: true, value: null })
      process.exit(0)
    }
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
