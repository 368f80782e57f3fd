/**
 * @module WebSocket frames below `ws`: outgoing, a broadcast framed once; incoming, each message
 * held to its cap by its header (`gateFrames`, below).
 *
 * Framing a broadcast once. `ws` frames every send on its own (a header buffer, a cork,
 * two writes), so a broadcast paid that once per socket for the same bytes. A frame built here
 * once is written to each socket's stream as one buffer — only while `ws` has nothing of its own
 * in flight on that socket, so the order of frames on the wire is kept.
 */
import { MessageType, SyncStep } from '@switchboard/protocol'

/** The RFC 6455 server frame (FIN, binary, unmasked) carrying `payload`. */
export function binaryFrame(payload: Uint8Array): Uint8Array {
  const n = payload.byteLength
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10
  const out = Buffer.allocUnsafe(head + n)
  out[0] = 0x82
  if (n < 126) out[1] = n
  else if (n < 65_536) {
    out[1] = 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 127
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2)
    out.writeUInt32BE(n >>> 0, 6)
  }
  out.set(payload, head)
  return out
}

/** The parts of a `ws` WebSocket (8.x) a pre-built frame needs; all optional, checked at use. */
interface WsInternals {
  readyState?: number
  _socket?: { write(chunk: Uint8Array): boolean; destroyed?: boolean }
  _sender?: { _state?: number; _firstFragment?: boolean }
  _extensions?: Record<string, unknown>
}

/**
 * The stream a pre-built frame can be written to, or null when `ws` must send it itself: not
 * open, a compression extension (frames differ per socket), or a frame of its own queued or
 * half sent (writing past it would interleave).
 */
export function frameStream(raw: unknown): { write(chunk: Uint8Array): boolean } | null {
  const ws = raw as WsInternals | null | undefined
  const socket = ws?._socket
  const sender = ws?._sender
  if (!socket || !sender || ws.readyState !== 1 || socket.destroyed) return null
  if (sender._state !== 0 || sender._firstFragment !== true) return null
  // Checked for every socket of every broadcast: no array allocated to learn it is empty.
  for (const _ in ws._extensions) return null
  return socket
}

/** The part of a `ws` WebSocket (8.x) the frame gate needs: its Receiver (a Writable). */
interface WsReceiver {
  _receiver?: GatedReceiver
}

interface GatedReceiver {
  write(chunk: Uint8Array): boolean
  _maxPayload?: number
  [GATE]?: FrameGate
}

/**
 * Bytes of big step 2s buffered at once, shared by a member's sockets [L6]: `take` before one is
 * let in (false: refused like an oversized frame, and `refused` is told), `give` once it has all
 * gone through to `ws` (or its socket closed). `raw` is the socket's `ws` WebSocket.
 */
export interface FrameBudget {
  take(raw: unknown, bytes: number): boolean
  give(raw: unknown, bytes: number): void
  refused(raw: unknown): void
}

/** Payload caps of incoming messages (docs/protocol.md "Limits"), shared by a server's sockets. */
export interface FrameCaps {
  /** Every message but a socket's first sync step 2. */
  frame: number
  /** A socket's first sync step 2 (a replica's reply to the relay's step 1). */
  sync: number
  budget?: FrameBudget
}

/** Where a gated receiver keeps its gate: its `write` and the socket's `close` are shared. */
const GATE = Symbol('frame gate')

/**
 * Refuses an oversized message by its header, before a byte of it is buffered [L6]. `ws` checks
 * a message's length against its `maxPayload` as soon as it has read the length field, then
 * buffers the whole payload before the relay sees it; the relay's cap depends on the message's
 * type (its first two payload bytes). So every byte goes through this gate on its way into `ws`'s
 * receiver: the gate follows the frame boundaries, and before `ws` reads the header of a message
 * longer than the frame cap it sets `maxPayload` for it (holding back at most the header and two
 * payload bytes until they have arrived). `ws` then refuses it itself (1009, sent as 4413) and
 * stops reading. Two private names of `ws` are used, `_receiver` and its `_maxPayload`; false
 * when they are missing (then `ws` holds every message to the sync cap, as configured).
 */
export function gateFrames(raw: unknown, caps: FrameCaps): boolean {
  const receiver = (raw as WsReceiver | null | undefined)?._receiver
  if (!receiver || typeof receiver._maxPayload !== 'number') return false
  receiver[GATE] = new FrameGate(raw, receiver, receiver.write, caps)
  receiver._maxPayload = caps.frame
  receiver.write = gatedWrite
  return true
}

function gatedWrite(this: GatedReceiver, chunk: Uint8Array): boolean {
  return this[GATE]!.write(chunk)
}

/** A socket's `close` events, listened to only while its gate holds budget. */
interface Closing {
  on?(event: 'close', fn: () => void): unknown
  off?(event: 'close', fn: () => void): unknown
}

function gateClosed(this: WsReceiver): void {
  this._receiver?.[GATE]?.give()
}

/** One socket's gate: where it is in the frames coming in, and the budget it holds. */
class FrameGate {
  readonly #raw: unknown
  readonly #receiver: GatedReceiver
  /** The receiver's own `write` (Writable's). */
  readonly #write: (chunk: Uint8Array) => boolean
  readonly #caps: FrameCaps
  #held: Uint8Array | null = null
  /** Payload bytes of the current frame still to pass. */
  #remaining = 0
  #bigStep2Used = false
  /** Budget bytes the big step 2 in flight holds, and whether the current frame is its last. */
  #taken = 0
  #lastOfBig = false

  constructor(
    raw: unknown,
    receiver: GatedReceiver,
    write: (chunk: Uint8Array) => boolean,
    caps: FrameCaps,
  ) {
    this.#raw = raw
    this.#receiver = receiver
    this.#write = write
    this.#caps = caps
  }

  /** Budget taken is given back when the message has passed, or when the socket closes first. */
  #took(bytes: number): void {
    this.#taken = bytes
    if (bytes > 0) (this.#raw as Closing).on?.('close', gateClosed)
  }

  give(): void {
    if (this.#taken > 0) {
      this.#caps.budget?.give(this.#raw, this.#taken)
      ;(this.#raw as Closing).off?.('close', gateClosed)
    }
    this.#taken = 0
    this.#lastOfBig = false
  }

  #pass(chunk: Uint8Array): boolean {
    return this.#write.call(this.#receiver, chunk)
  }

  write(input: Uint8Array): boolean {
    const caps = this.#caps
    const receiver = this.#receiver
    let chunk = input
    if (this.#held) {
      chunk = Buffer.concat([this.#held, input])
      this.#held = null
    }
    let ok = true
    let from = 0
    let i = 0
    let passed = false
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - i)
        i += n
        this.#remaining -= n
        if (this.#remaining === 0 && this.#lastOfBig) passed = true
        continue
      }
      const head = readHeader(chunk, i)
      if (head === null) {
        this.#held = chunk.slice(i)
        break
      }
      const starts = head.opcode === 1 || head.opcode === 2
      if (starts && (head.length > caps.frame || !head.fin)) {
        if (head.length >= 2 && chunk.length - i < head.size + 2) {
          // At most 15 bytes: the header (2, + 2 or 8 of length, + 4 of mask), < 2 of payload.
          this.#held = chunk.slice(i)
          break
        }
        const step2 =
          head.length >= 2 &&
          payloadByte(chunk, i, head, 0) === MessageType.Sync &&
          payloadByte(chunk, i, head, 1) === SyncStep.Two
        let cap = caps.frame
        if (step2 && !this.#bigStep2Used) {
          const bytes = head.fin ? head.length : caps.sync
          if (!caps.budget || caps.budget.take(this.#raw, bytes)) {
            cap = caps.sync
            this.#bigStep2Used = true
            this.#took(caps.budget ? bytes : 0)
          } else caps.budget.refused(this.#raw)
        }
        if (cap !== receiver._maxPayload) {
          // Frames before this one were read with the cap they had.
          if (i > from) ok = this.#pass(chunk.subarray(from, i))
          from = i
          receiver._maxPayload = cap
        }
      }
      if (this.#taken > 0 && head.opcode < 8 && head.fin) this.#lastOfBig = true
      i += head.size
      this.#remaining = head.length
      if (this.#remaining === 0 && this.#lastOfBig) passed = true
    }
    const end = this.#held ? chunk.length - this.#held.length : chunk.length
    if (end > from) ok = this.#pass(chunk.subarray(from, end))
    // `ws` has read the whole message now (it reads synchronously), and the relay has it.
    if (passed) this.give()
    return ok
  }
}

interface FrameHeader {
  fin: boolean
  opcode: number
  /** Header bytes, mask included. */
  size: number
  /** Payload bytes. */
  length: number
  /** Offset of the mask key from the frame's start, or -1 when unmasked. */
  mask: number
}

/** The header of the frame at `at`, or null when it is not all in `buf` yet. */
function readHeader(buf: Uint8Array, at: number): FrameHeader | null {
  if (buf.length - at < 2) return null
  const b0 = buf[at]!
  const b1 = buf[at + 1]!
  const masked = (b1 & 0x80) !== 0
  let length = b1 & 0x7f
  let size = 2
  if (length === 126) {
    if (buf.length - at < 4) return null
    length = (buf[at + 2]! << 8) | buf[at + 3]!
    size = 4
  } else if (length === 127) {
    if (buf.length - at < 10) return null
    let hi = 0
    for (let k = 2; k < 6; k++) hi = hi * 256 + buf[at + k]!
    let lo = 0
    for (let k = 6; k < 10; k++) lo = lo * 256 + buf[at + k]!
    length = hi * 2 ** 32 + lo
    size = 10
  }
  const mask = masked ? size : -1
  if (masked) size += 4
  if (buf.length - at < size) return null
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, size, length, mask }
}

/** Payload byte `k` of the frame at `at` (unmasked). */
function payloadByte(buf: Uint8Array, at: number, head: FrameHeader, k: number): number {
  const byte = buf[at + head.size + k]!
  return head.mask < 0 ? byte : byte ^ buf[at + head.mask + (k % 4)]!
}
