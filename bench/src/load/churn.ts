/**
 * @module Workload 7 load (its own process), writer churn. Every page load of plain Yjs is a new
 * client id, and each transaction costs in proportion to every id the document has seen
 * (yjs #415). Through the real relay (auth, validation, SQLite), the room's history is grown to
 * each size of writer ids — one mark per id, sent as updates of 2,000 writers and acknowledged as
 * stored — then, at each size, a new device that has synced the room makes `marks` core marks:
 * - client: how fast it makes them (core `markConversation` on a replica holding every id);
 * - relay: the same updates sent over its `ack=1` socket, `window` in flight: marks/s from the
 *   first send to the ack of the last (validation, apply, durable store, ack);
 * - plain Yjs: the same updates applied one by one with Y.applyUpdate to a Y.Doc holding the same
 *   room, with an `update` listener — the peer servers' path (@y/websocket-server, Hocuspocus),
 *   and what every replica pays to apply a teammate's mark.
 * Then the relay starts an epoch (`POST /api/admin/rooms/:room/epoch`) and the same is measured
 * on the rebuilt room.
 */
import * as Y from 'yjs'
import { conversationIds, createHlc, markConversation, type Author } from '@switchboard/core'
import { applyEach, churnHistory, KINDS } from '../churn-history.ts'
import { openSocket, send } from './client.ts'
import type { ChurnPoint } from '../churn.ts'
import type { Target } from '../target.ts'
import { createHistogram, percentile, record } from '../stats.ts'
import { updateFrame } from '../wire.ts'

type Command = {
  cmd: 'run'
  target: Target
  sizes: number[]
  marks: number[]
  afterEpochMarks: number
  window: number
}

const log = (...args: unknown[]) =>
  console.log(`[churn ${new Date().toISOString().slice(11, 19)}]`, ...args)

async function until(check: () => boolean, what: string, limitMs = 120_000) {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`churn: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A socket that keeps a replica of the room and counts the acks of every client id. */
async function replica(target: Target) {
  const doc = new Y.Doc()
  let acks = 0
  const ackClock = new Map<number, number>()
  const listeners = new Set<() => void>()
  const socket = openSocket(target, (msg) => {
    if (msg.type === 'step-2' || msg.type === 'update') Y.applyUpdate(doc, msg.update, 'remote')
    if (msg.type === 'ack') {
      acks++
      ackClock.set(msg.client, Math.max(ackClock.get(msg.client) ?? 0, msg.clock))
      for (const l of listeners) l()
    }
  })
  await socket.ready
  return {
    doc,
    socket,
    acks: () => acks,
    ackClock,
    onAck(l: () => void) {
      listeners.add(l)
    },
    close() {
      socket.ws.terminate()
      doc.destroy()
    },
  }
}

/** Grows the room's writer history from `from` to `to` ids, each batch stored before the next. */
async function seed(target: Target, from: number, to: number, runId: string) {
  const r = await replica(target)
  const conversations = conversationIds(r.doc)
  if (conversations.length === 0) throw new Error('churn: the room has no conversations')
  const t0 = performance.now()
  let expected = 0
  for (const update of churnHistory({
    from,
    to,
    conversations,
    memberIds: [target.memberId],
    devicePrefix: `churn-${runId}-`,
  })) {
    const writers = Y.parseUpdateMeta(update).to.size
    expected += writers
    r.socket.ws.send(updateFrame(target.protocol, target.doc, update))
    await until(() => r.acks() >= expected || r.socket.closeCode !== null, 'seed acks')
    if (r.socket.closeCode !== null)
      throw new Error(`churn: the relay closed the seeding socket with ${r.socket.closeCode}`)
  }
  r.close()
  return performance.now() - t0
}

async function measure(target: Target, marks: number, window: number, minIds: number) {
  const r = await replica(target)
  // The cold join's frames after the first step 2 (the batches since the cached state).
  await until(() => r.doc.store.clients.size >= minIds, `a replica holding ${minIds} ids`)
  const { doc } = r
  const docIds = doc.store.clients.size
  const deviceId = `churn-writer-${process.pid}-${Date.now()}`
  const author: Author = { memberId: target.memberId, deviceId, clock: createHlc(deviceId) }
  const ids = conversationIds(doc)
  const before = Y.encodeStateAsUpdate(doc)

  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== 'remote') updates.push(u)
  })
  const t0 = performance.now()
  for (let i = 0; i < marks; i++) markConversation(doc, ids[i % ids.length]!, KINDS[i % 4]!, author)
  const clientMs = performance.now() - t0

  const peer = new Y.Doc()
  Y.applyUpdate(peer, before)
  const plainMs = applyEach(peer, updates)
  peer.destroy()

  // Through the relay: `window` updates in flight, each counted once an ack covers its clock.
  const me = doc.clientID
  const endClock = updates.map((u) => Y.parseUpdateMeta(u).to.get(me) ?? 0)
  const sentAt: number[] = []
  const hist = createHistogram()
  let next = 0
  const pump = () => {
    while (sentAt.length < updates.length && sentAt.length - next < window) {
      sentAt.push(performance.now())
      r.socket.ws.send(updateFrame(target.protocol, target.doc, updates[sentAt.length - 1]!))
    }
  }
  r.onAck(() => {
    const clock = r.ackClock.get(me) ?? 0
    const now = performance.now()
    while (next < sentAt.length && endClock[next]! <= clock) record(hist, now - sentAt[next++]!)
    pump()
  })
  const t1 = performance.now()
  pump()
  await until(() => next >= updates.length || r.socket.closeCode !== null, 'relay acks')
  const relayMs = performance.now() - t1
  if (r.socket.closeCode !== null)
    throw new Error(`churn: the relay closed the writer's socket with ${r.socket.closeCode}`)
  r.close()
  const perS = (ms: number) => Math.round((marks / ms) * 1000)
  return {
    docIds,
    marks,
    relayPerS: perS(relayMs),
    relayAckP50: percentile(hist, 0.5),
    relayAckP99: percentile(hist, 0.99),
    plainYjsPerS: perS(plainMs),
    clientPerS: perS(clientMs),
  }
}

async function run(m: Omit<Command, 'cmd'>) {
  const { target } = m
  const runId = `${process.pid}`
  const points: ChurnPoint[] = []
  let seeded = 0
  let seedMs = 0
  for (const [i, writers] of m.sizes.entries()) {
    seedMs += await seed(target, seeded, writers, runId)
    seeded = writers
    log(`room history holds ${writers} writer ids (seeded in ${(seedMs / 1000).toFixed(1)} s)`)
    const point = { writers, ...(await measure(target, m.marks[i]!, m.window, writers)) }
    points.push(point)
    log(JSON.stringify(point))
  }
  const base = target.url.replace(/^ws/, 'http').replace(/\/sync\/.*$/, '')
  const t0 = performance.now()
  const res = await fetch(`${base}/api/admin/rooms/${encodeURIComponent(target.doc)}/epoch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}` },
  })
  if (!res.ok) throw new Error(`churn: epoch failed: ${res.status} ${await res.text()}`)
  const epochMs = performance.now() - t0
  const afterEpoch = { writers: seeded, ...(await measure(target, m.afterEpochMarks, m.window, 1)) }
  log('after the epoch', JSON.stringify(afterEpoch))
  return { points, afterEpoch, epochMs, seedMs }
}

process.on('message', async (m: Command) => {
  try {
    send({ ok: true, value: await run(m) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
