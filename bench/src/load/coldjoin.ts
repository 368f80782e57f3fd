/**
 * @module Workload 2 load generator (its own process): N cold clients (empty state vector) join a
 * big room at once; time until every one has received the server's whole sync step 2 and
 * answered its step 1. Peers are seeded here first (`seed.ts`).
 */
import { readFileSync } from 'node:fs'
import type WebSocket from 'ws'
import * as Y from 'yjs'
import { conversationIds } from '@switchboard/core'
import type { Target } from '../target.ts'
import { send } from './client.ts'
import { joinRoom } from './join.ts'
import { seedRoom } from './seed.ts'
import type { StreamSocket } from './stream-socket.ts'

type Command =
  | { cmd: 'seed'; target: Target; file: string }
  | { cmd: 'join'; target: Target; clients: number; timeoutMs: number }

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())
let seeder: WebSocket | null = null

async function seed(target: Target, file: string) {
  const { ws, bytes } = await seedRoom(target, [new Uint8Array(readFileSync(file))])
  seeder = ws
  return { bytes }
}

async function join(target: Target, n: number, timeoutMs: number) {
  const sockets: StreamSocket[] = []
  const syncedMs: number[] = []
  const bytesIn: number[] = []
  const payload: number[] = []
  let closed = 0
  // A socket closed by the server before its step 2 arrived will never sync: stop waiting for it.
  let closedUnsynced = 0
  const closeCodes: Record<string, number> = {}
  let kept: Uint8Array | null = null
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  const synced: boolean[] = []
  const t0 = performance.now()
  for (let i = 0; i < n; i++)
    sockets.push(
      joinRoom(target, {
        stateVector: EMPTY_SV,
        answer: () => EMPTY_UPDATE,
        keepStep2: i === 0,
        onSynced(s) {
          synced[i] = true
          syncedMs.push(performance.now() - t0)
          bytesIn.push(s.bytesIn)
          payload.push(s.payloadBytes)
          if (s.update) kept = s.update
          if (syncedMs.length + closedUnsynced === n) done()
        },
        onClose(code) {
          closed++
          closeCodes[code] = (closeCodes[code] ?? 0) + 1
          if (!synced[i]) closedUnsynced++
          if (syncedMs.length + closedUnsynced === n) done()
        },
      }),
    )
  let timer: NodeJS.Timeout | undefined
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
  clearTimeout(timer)
  const allSyncedMs = syncedMs.length === n ? Math.max(...syncedMs) : NaN
  const closedEarly = closed
  const codes = { ...closeCodes }
  for (const s of sockets) s.terminate()
  // What one client ends up with (outside the timing): every conversation of the room.
  let conversations = -1
  if (kept) {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, kept)
    conversations = conversationIds(doc).length
    doc.destroy()
  }
  syncedMs.sort((a, b) => a - b)
  payload.sort((a, b) => a - b)
  bytesIn.sort((a, b) => a - b)
  return {
    clients: n,
    synced: syncedMs.length,
    closedEarly,
    closedUnsynced,
    closeCodes: codes,
    lastSyncedMs: syncedMs.at(-1) ?? NaN,
    allSyncedMs,
    firstSyncedMs: syncedMs[0] ?? NaN,
    medianSyncedMs: syncedMs[syncedMs.length >> 1] ?? NaN,
    bytesPerClient: bytesIn[bytesIn.length >> 1] ?? NaN,
    minStep2Bytes: payload[0] ?? NaN,
    maxStep2Bytes: payload.at(-1) ?? NaN,
    conversations,
  }
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'seed') send({ ok: true, value: await seed(m.target, m.file) })
    else send({ ok: true, value: await join(m.target, m.clients, m.timeoutMs) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
process.on('disconnect', () => {
  seeder?.terminate()
  process.exit(0)
})
send({ ok: true, value: 'ready' })
