/**
 * @module Workload 3 load generator (its own process): a replica joins a room with a long history,
 * then, up to date, reconnects again and again; per reconnect, the bytes the server sent it, the
 * time until the server's step 2, and the CPU time the server process spent meanwhile (all its
 * threads, from /proc in nanoseconds; the socket's close included). A holder socket keeps the
 * room loaded throughout, as a teammate's open app would (a peer seeded through it).
 */
import { readdirSync, readFileSync } from 'node:fs'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { conversationIds, epochOf } from '@switchboard/core'
import type { Target } from '../target.ts'
import { authFrame, decodeFrame, Protocol, syncStep1Frame, syncStep2Frame } from '../wire.ts'
import { readChunks } from '../chunks.ts'
import { send } from './client.ts'
import { seedRoom } from './seed.ts'

type Command =
  | { cmd: 'seed'; target: Target; chunksFile: string }
  | { cmd: 'hold'; target: Target }
  | { cmd: 'prepare'; target: Target }
  | { cmd: 'reconnect'; pid: number; times: number; settleMs: number }

let holder: WebSocket | null = null
let replica: { doc: Y.Doc; target: Target } | null = null

/** CPU time of every thread of a process, in ms (Linux schedstat: nanoseconds on a CPU). */
function cpuNs(pid: number): number {
  let ns = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ns
}

/** Joins with the replica's state vector; resolves once the server's step 2 has been applied. */
function joinWith(target: Target, doc: Y.Doc, onBytes: (n: number) => void) {
  const ws = new WebSocket(target.url, { perMessageDeflate: false, maxPayload: 2 ** 31 })
  return new Promise<WebSocket>((resolve, reject) => {
    ws.on('error', reject)
    ws.on('close', (code) => reject(new Error(`closed with ${code} before step 2`)))
    ws.on('open', () => {
      if (target.protocol === Protocol.Hocus) ws.send(authFrame(target.doc, target.token))
      ws.send(syncStep1Frame(target.protocol, target.doc, Y.encodeStateVector(doc)))
    })
    ws.on('message', (data: Buffer) => {
      onBytes(data.byteLength)
      const msg = decodeFrame(target.protocol, new Uint8Array(data))
      if (msg.type === 'step-1')
        ws.send(
          syncStep2Frame(target.protocol, target.doc, Y.encodeStateAsUpdate(doc, msg.stateVector)),
        )
      if (msg.type === 'step-2' || msg.type === 'update') Y.applyUpdate(doc, msg.update, 'remote')
      if (msg.type === 'step-2') resolve(ws)
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function hold(target: Target) {
  holder = await joinWith(target, new Y.Doc(), () => {})
  holder.removeAllListeners('message')
  return null
}

/** The replica's first (cold) join: what it received and what it holds. */
async function prepare(target: Target) {
  const doc = new Y.Doc()
  let bytes = 0
  const t0 = performance.now()
  const ws = await joinWith(target, doc, (n) => (bytes += n))
  const coldMs = performance.now() - t0
  await sleep(300)
  ws.terminate()
  replica = { doc, target }
  return {
    coldBytes: bytes,
    coldMs,
    docBytes: Y.encodeStateAsUpdate(doc).byteLength,
    conversations: conversationIds(doc).length,
    epoch: epochOf(doc).id !== null,
    structs: [...doc.store.clients.values()].reduce((n, list) => n + list.length, 0),
  }
}

async function reconnect(pid: number, times: number, settleMs: number) {
  const { doc, target } = replica!
  const runs: { bytes: number; syncedMs: number; cpuMs: number; idleCpuMs: number }[] = []
  for (let i = 0; i < times; i++) {
    let bytes = 0
    const cpu0 = cpuNs(pid)
    const t0 = performance.now()
    const ws = await joinWith(target, doc, (n) => (bytes += n))
    const syncedMs = performance.now() - t0
    // Frames that follow step 2 (the server's step 1, a held answer) and the replica's answer.
    await sleep(settleMs)
    ws.terminate()
    await sleep(30)
    const cpuMs = (cpuNs(pid) - cpu0) / 1e6
    // The same span with nothing asked of the server: its timers and threads alone.
    const idle0 = cpuNs(pid)
    await sleep(performance.now() - t0)
    runs.push({ bytes, syncedMs, cpuMs, idleCpuMs: (cpuNs(pid) - idle0) / 1e6 })
  }
  return runs
}

process.on('message', async (m: Command) => {
  try {
    let value: unknown
    if (m.cmd === 'seed')
      value = await seedRoom(m.target, readChunks(m.chunksFile)).then(({ ws, bytes }) => {
        holder = ws
        return { bytes }
      })
    else if (m.cmd === 'hold') value = await hold(m.target)
    else if (m.cmd === 'prepare') value = await prepare(m.target)
    else value = await reconnect(m.pid, m.times, m.settleMs)
    send({ ok: true, value })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
process.on('disconnect', () => {
  holder?.terminate()
  process.exit(0)
})
send({ ok: true, value: 'ready' })
