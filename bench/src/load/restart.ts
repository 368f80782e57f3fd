/**
 * @module Workload 8 load generator (its own process): C cold clients (they hold nothing, so each
 * join fetches the whole room) and W warm ones (they hold the room and join with its state
 * vector) stay connected and reconnect like y-websocket's provider: 100 ms after a connection
 * that had opened closes, then doubling per failed attempt up to 2.5 s. After `arm`, `wait`
 * resolves once every client has lost its connection and synced again.
 */
import * as Y from 'yjs'
import type { Target } from '../target.ts'
import { send } from './client.ts'
import { joinRoom } from './join.ts'
import type { StreamSocket } from './stream-socket.ts'

type Command =
  | { cmd: 'start'; target: Target; cold: number; warm: number; timeoutMs: number }
  | { cmd: 'arm' }
  | { cmd: 'wait'; timeoutMs: number }
  | { cmd: 'stop' }

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())
const MAX_BACKOFF_MS = 2500

interface Client {
  warm: boolean
  socket: StreamSocket | null
  opened: boolean
  failures: number
  syncedAt: number
  lostSinceArm: boolean
  attempts: number
  bytes: number
  /** Stopped for good: pending reconnects do nothing. */
  dead: boolean
}

let target: Target
let clients: Client[] = []
let warmDoc: Y.Doc | null = null
let warmSv = EMPTY_SV
const answers = new Map<string, Uint8Array>()
let onProgress: () => void = () => {}

/** A warm client's step 2: what the server lacks of the room, the same for every warm client. */
function warmAnswer(serverSv: Uint8Array): Uint8Array {
  const key = Buffer.from(serverSv).toString('latin1')
  let answer = answers.get(key)
  if (!answer) answers.set(key, (answer = Y.encodeStateAsUpdate(warmDoc!, serverSv)))
  return answer
}

function connect(c: Client): void {
  if (c.dead) return
  c.opened = false
  c.attempts++
  c.socket = joinRoom(target, {
    stateVector: c.warm ? warmSv : EMPTY_SV,
    answer: c.warm ? warmAnswer : () => EMPTY_UPDATE,
    onOpen() {
      c.opened = true
      c.failures = 0
    },
    onSynced(s) {
      c.syncedAt = Date.now()
      c.bytes = s.bytesIn
      onProgress()
    },
    onClose() {
      c.socket = null
      c.syncedAt = 0
      c.lostSinceArm = true
      if (c.dead) return
      if (!c.opened) c.failures++
      setTimeout(() => connect(c), Math.min(2 ** c.failures * 100, MAX_BACKOFF_MS))
    },
  })
}

function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onProgress = () => {}
      reject(new Error(`${what}: timed out`))
    }, timeoutMs)
    onProgress = () => {
      if (!pred()) return
      clearTimeout(timer)
      onProgress = () => {}
      resolve()
    }
    onProgress()
  })
}

async function start(t: Target, cold: number, warm: number, timeoutMs: number) {
  target = t
  // One client fetches the room: that is the state every warm client holds.
  const t0 = Date.now()
  if (!warmDoc) warmDoc = await fetchRoom()
  warmSv = Y.encodeStateVector(warmDoc)
  const fetchMs = Date.now() - t0
  clients = []
  for (let i = 0; i < cold + warm; i++)
    clients.push({
      warm: i >= cold,
      socket: null,
      opened: false,
      failures: 0,
      syncedAt: 0,
      lostSinceArm: false,
      attempts: 0,
      bytes: 0,
      dead: false,
    })
  const t1 = Date.now()
  for (const c of clients) connect(c)
  await until(() => clients.every((c) => c.syncedAt > 0), timeoutMs, 'initial join')
  return { fetchMs, initialJoinMs: Date.now() - t1 }
}

async function fetchRoom(): Promise<Y.Doc> {
  const update = await new Promise<Uint8Array>((resolve, reject) => {
    const s = joinRoom(target, {
      stateVector: EMPTY_SV,
      answer: () => EMPTY_UPDATE,
      keepStep2: true,
      onSynced: ({ update }) => {
        if (update) resolve(update)
        else reject(new Error('no step 2 kept'))
        s.terminate()
      },
      onClose: (code) => reject(new Error(`closed with ${code}`)),
    })
  })
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc
}

function summary(list: Client[]) {
  const at = list.map((c) => c.syncedAt).sort((a, b) => a - b)
  const bytes = list.map((c) => c.bytes).sort((a, b) => a - b)
  return {
    clients: list.length,
    lastSyncedAt: at.at(-1) ?? NaN,
    medianSyncedAt: at[at.length >> 1] ?? NaN,
    bytesPerClient: bytes[bytes.length >> 1] ?? NaN,
    attempts: list.reduce((n, c) => n + c.attempts, 0),
  }
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'start')
      send({ ok: true, value: await start(m.target, m.cold, m.warm, m.timeoutMs) })
    else if (m.cmd === 'arm') {
      for (const c of clients) {
        c.lostSinceArm = false
        c.attempts = 0
      }
      send({ ok: true, value: null })
    } else if (m.cmd === 'wait') {
      await until(
        () => clients.every((c) => c.lostSinceArm && c.syncedAt > 0),
        m.timeoutMs,
        'resync after restart',
      )
      send({
        ok: true,
        value: {
          cold: summary(clients.filter((c) => !c.warm)),
          warm: summary(clients.filter((c) => c.warm)),
        },
      })
    } else {
      for (const c of clients) {
        c.dead = true
        c.socket?.terminate()
      }
      clients = []
      send({ ok: true, value: null })
    }
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
