/** @module Load-client plumbing shared by the workloads: a writer Y.Doc and lightweight subscribers. */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createHlc, markConversation, type Author, type MarkKind } from '@switchboard/core'
import type { Target } from '../target.ts'
import {
  authFrame,
  decodeFrame,
  syncStep1Frame,
  syncStep2Frame,
  updateFrame,
  type Incoming,
} from '../wire.ts'

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())

export interface Socket {
  ws: WebSocket
  /** Resolves once the server's sync step 2 arrived (or on open when the server does not sync). */
  ready: Promise<void>
  closeCode: number | null
}

/** Opens a socket that joins the room with an empty state and hands each frame to `onFrame`. */
export function openSocket(
  target: Target,
  onFrame: (msg: Incoming, raw: Uint8Array) => void,
  stateVector: Uint8Array = EMPTY_SV,
): Socket {
  const ws = new WebSocket(target.url, { perMessageDeflate: false })
  ws.binaryType = 'nodebuffer'
  const socket: Socket = { ws, ready: Promise.resolve(), closeCode: null }
  socket.ready = new Promise<void>((resolve, reject) => {
    ws.on('error', reject)
    ws.on('close', (code) => {
      socket.closeCode = code
      reject(new Error(`closed with ${code}`))
    })
    ws.on('open', () => {
      if (target.protocol === 'hocus') ws.send(authFrame(target.doc, target.token))
      if (target.syncs) ws.send(syncStep1Frame(target.protocol, target.doc, stateVector))
      else resolve()
    })
    ws.on('message', (data: Buffer) => {
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const msg = decodeFrame(target.protocol, raw)
      if (msg.type === 'step-1') ws.send(syncStep2Frame(target.protocol, target.doc, EMPTY_UPDATE))
      onFrame(msg, raw)
      if (msg.type === 'step-2') resolve()
    })
  })
  socket.ready.catch(() => {})
  return socket
}

/** A writer: a real Y.Doc whose core marks go out as y-websocket update frames. */
export interface Writer {
  doc: Y.Doc
  socket: Socket
  author: Author
  /** Makes one real core mark; returns the writer's clock after it. */
  mark(i: number): number
  /** When the last update was handed to the socket (performance.now()), after its making. */
  sentAt: number
}

const kinds: MarkKind[] = ['done', 'open', 'unread', 'read']

export function openWriter(
  target: Target,
  deviceId: string,
  onFrame: (msg: Incoming) => void = () => {},
  conversations = 500,
  applyRemote = true,
): Writer {
  const doc = new Y.Doc()
  const author: Author = { memberId: target.memberId, deviceId, clock: createHlc(deviceId) }
  const socket = openSocket(target, (msg) => {
    // A writer of its own mark keys needs the room's state once; later updates only cost time.
    if (msg.type === 'step-2' || (applyRemote && msg.type === 'update'))
      Y.applyUpdate(doc, msg.update, 'remote')
    onFrame(msg)
  })
  const writer: Writer = {
    doc,
    socket,
    author,
    sentAt: 0,
    mark(i) {
      markConversation(doc, `c${i % conversations}`, kinds[i % kinds.length]!, author)
      return Y.getState(doc.store, doc.clientID)
    },
  }
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'remote' && socket.ws.readyState === WebSocket.OPEN) {
      const frame = updateFrame(target.protocol, target.doc, update)
      writer.sentAt = performance.now()
      socket.ws.send(frame)
    }
  })
  return writer
}

// Every subscriber receives the same bytes: parse each distinct update once instead of a full Yjs
// decode per delivery, which would saturate the load process. Keyed by a hash of the length, the
// head (client, start clock) and the tail: a latin1 string of every frame, the first key, cost the
// load process more than the relay under test spent (bench/README.md, fan-out and durable tails).
const clockCache = new Map<number, number>()

function frameKey(update: Uint8Array): number {
  const n = update.byteLength
  // Two independent 32-bit hashes, 53 bits kept: a collision among 20,000 cached frames of one
  // length is ~1e-8 likely.
  let a = 0x811c9dc5 ^ n
  let b = 0x9e3779b1 ^ n
  const head = Math.min(n, 48)
  for (let i = 0; i < n; i = i === head - 1 ? Math.max(head, n - 32) : i + 1) {
    a = Math.imul(a ^ update[i]!, 0x01000193)
    b = Math.imul(b ^ update[i]!, 0x85ebca6b) ^ (b >>> 13)
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) % 2 ** 21)
}

/** The writer's clock reached by an update (0 when the update holds none of its structs). */
export function clockIn(update: Uint8Array, client: number): number {
  const key = frameKey(update)
  let clock = clockCache.get(key)
  if (clock === undefined) {
    clock = Y.parseUpdateMeta(update).to.get(client) ?? 0
    if (clockCache.size > 20_000) clockCache.clear()
    clockCache.set(key, clock)
  }
  return clock
}

export function send(msg: unknown): void {
  process.send!(msg)
}
