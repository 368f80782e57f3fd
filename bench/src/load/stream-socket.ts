/**
 * @module A minimal WebSocket client over a raw TCP socket that counts a big message's bytes as
 * they arrive instead of buffering them. Hundreds of cold joins of a ~40 MB room in one load
 * process would otherwise hold hundreds of ~40 MB fragment lists at once (the `ws` client
 * assembles each message before handing it over); a browser joining from its own machine pays
 * nothing of the kind, so the load generator must not either.
 *
 * Server frames are unmasked; client frames are masked with a zero key (any key is valid, and
 * a zero key leaves the payload as it is). Pings are answered.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** A message as the reader sees it: its length, its first bytes, and all of it when small. */
export interface StreamMessage {
  length: number
  /** Up to PREFIX_BYTES first bytes (enough to read the sync header of a huge step 2). */
  prefix: Uint8Array
  /** The whole message when it is at most `keepUpTo` bytes (or the socket keeps everything). */
  bytes: Uint8Array | null
}

export interface StreamSocketOptions {
  /** Messages up to this size are handed over whole. Default 64 KiB. */
  keepUpTo?: number
  onOpen(): void
  onMessage(msg: StreamMessage): void
  /** 1006 when the connection ended without a close frame (or never opened). */
  onClose(code: number): void
  /**
   * Read into one buffer of this socket, reused for every read (no allocation per read): each
   * message handed over is valid only during `onMessage`. For fan-out subscribers, which read
   * what they need and keep nothing.
   */
  reuseReadBuffer?: boolean
}

const PREFIX_BYTES = 64

export class StreamSocket {
  #socket: Socket
  #opts: StreamSocketOptions
  #open = false
  #closed = false
  #head = Buffer.alloc(0)
  // Frame parsing state.
  #pending: Buffer[] = []
  #frame: { opcode: number; fin: boolean; left: number; control: Buffer[] } | null = null
  // The data message being received.
  #msgLength = 0
  #prefix: Buffer[] = []
  #prefixBytes = 0
  #kept: Buffer[] | null = null
  #keepUpTo: number
  #reuse: boolean
  /** Bytes received on the socket, headers included. */
  bytesIn = 0

  constructor(url: string, opts: StreamSocketOptions) {
    this.#opts = opts
    this.#keepUpTo = opts.keepUpTo ?? 64 * 1024
    const u = new URL(url)
    this.#reuse = opts.reuseReadBuffer ?? false
    this.#socket = connect({
      host: u.hostname,
      port: Number(u.port),
      ...(this.#reuse && {
        onread: {
          buffer: Buffer.allocUnsafe(64 * 1024),
          callback: (n: number, buf: Uint8Array): boolean => {
            this.#onData(Buffer.from(buf.buffer, buf.byteOffset, n))
            return true // keep reading
          },
        },
      }),
    })
    this.#socket.setNoDelay(true)
    this.#socket.on('connect', () => {
      this.#socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          `Sec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    this.#socket.on('error', () => this.#end(1006))
    this.#socket.on('close', () => this.#end(1006))
  }

  get open(): boolean {
    return this.#open && !this.#closed
  }

  send(data: Uint8Array): void {
    if (!this.open) return
    this.#socket.write(frameOf(0x2, data))
  }

  /** Closes without a handshake (as a dropped connection). */
  terminate(): void {
    this.#socket.destroy()
    this.#end(1006)
  }

  #end(code: number): void {
    if (this.#closed) return
    this.#closed = true
    this.#socket.destroy()
    this.#opts.onClose(code)
  }

  #onData(chunk: Buffer): void {
    this.bytesIn += chunk.byteLength
    if (!this.#open) {
      this.#head = Buffer.concat([this.#head, chunk])
      const end = this.#head.indexOf('\r\n\r\n')
      if (end < 0) return
      const status = this.#head.subarray(0, this.#head.indexOf('\r\n')).toString()
      if (!/^HTTP\/1\.1 101/.test(status)) return this.#end(1006)
      this.#open = true
      const rest = this.#head.subarray(end + 4)
      this.#head = Buffer.alloc(0)
      this.#opts.onOpen()
      if (rest.byteLength > 0) this.#parse(rest)
      return
    }
    this.#parse(chunk)
  }

  #parse(chunk: Buffer): void {
    let buf = chunk
    let copied = !this.#reuse
    while (buf.byteLength > 0 && !this.#closed) {
      const whole = this.#frame || this.#pending.length > 0 ? 0 : this.#wholeMessage(buf)
      if (whole > 0) {
        buf = buf.subarray(whole)
        continue
      }
      // What is kept across reads must not be a view of a buffer the next read overwrites.
      if (!copied) {
        buf = Buffer.from(buf)
        copied = true
      }
      const frame = this.#frame
      if (frame) {
        const n = Math.min(frame.left, buf.byteLength)
        const part = buf.subarray(0, n)
        buf = buf.subarray(n)
        frame.left -= n
        if (frame.opcode >= 0x8) frame.control.push(part)
        else this.#payload(part)
        if (frame.left === 0) this.#frameDone(frame)
        continue
      }
      // Accumulate a header (2–14 bytes).
      this.#pending.push(buf)
      buf = Buffer.alloc(0)
      const head = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending)
      if (head.byteLength < 2) continue
      let len = head[1]! & 0x7f
      let off = 2
      if (len === 126) {
        if (head.byteLength < 4) continue
        len = head.readUInt16BE(2)
        off = 4
      } else if (len === 127) {
        if (head.byteLength < 10) continue
        len = Number(head.readBigUInt64BE(2))
        off = 10
      }
      this.#pending = []
      const opcode = head[0]! & 0x0f
      const fin = (head[0]! & 0x80) !== 0
      this.#frame = { opcode, fin, left: len, control: [] }
      if (opcode === 0x1 || opcode === 0x2) this.#startMessage()
      buf = head.subarray(off)
      if (len === 0) this.#frameDone(this.#frame)
    }
  }

  /**
   * A small unfragmented data frame that is all in `buf` (the usual case: one broadcast per read)
   * goes out as views of the chunk, nothing copied; returns the bytes it took (0: not that case).
   * The chunk is never written again: every read gets fresh memory.
   */
  #wholeMessage(buf: Buffer): number {
    if (buf.byteLength < 2) return 0
    const b0 = buf[0]!
    const opcode = b0 & 0x0f
    if ((b0 & 0x80) === 0 || (opcode !== 0x1 && opcode !== 0x2)) return 0
    let len = buf[1]! & 0x7f
    let off = 2
    if (len === 126) {
      if (buf.byteLength < 4) return 0
      len = buf.readUInt16BE(2)
      off = 4
    } else if (len === 127) return 0
    if (len > this.#keepUpTo || buf.byteLength < off + len) return 0
    const bytes = buf.subarray(off, off + len)
    this.#opts.onMessage({ length: len, prefix: bytes.subarray(0, PREFIX_BYTES), bytes })
    return off + len
  }

  #startMessage(): void {
    this.#msgLength = 0
    this.#prefix = []
    this.#prefixBytes = 0
    this.#kept = []
  }

  #payload(part: Buffer): void {
    this.#msgLength += part.byteLength
    if (this.#prefixBytes < PREFIX_BYTES) {
      const take = part.subarray(0, PREFIX_BYTES - this.#prefixBytes)
      this.#prefix.push(Buffer.from(take))
      this.#prefixBytes += take.byteLength
    }
    if (this.#kept) {
      if (this.#msgLength > this.#keepUpTo) this.#kept = null
      else this.#kept.push(part)
    }
  }

  #frameDone(frame: { opcode: number; fin: boolean; control: Buffer[] }): void {
    this.#frame = null
    if (frame.opcode === 0x9) {
      this.#socket.write(frameOf(0xa, Buffer.concat(frame.control)))
      return
    }
    if (frame.opcode === 0x8) {
      const body = Buffer.concat(frame.control)
      const code = body.byteLength >= 2 ? body.readUInt16BE(0) : 1005
      this.#socket.end(frameOf(0x8, body.subarray(0, 2)))
      return this.#end(code)
    }
    if (frame.opcode === 0xa || !frame.fin) return
    const kept = this.#kept
    this.#kept = null
    this.#opts.onMessage({
      length: this.#msgLength,
      prefix: new Uint8Array(Buffer.concat(this.#prefix)),
      bytes: kept ? new Uint8Array(Buffer.concat(kept)) : null,
    })
  }
}

/** A masked client frame (zero mask key). */
function frameOf(opcode: number, data: Uint8Array): Buffer {
  const len = data.byteLength
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8
  const head = Buffer.alloc(2 + ext + 4)
  head[0] = 0x80 | opcode
  if (ext === 0) head[1] = 0x80 | len
  else if (ext === 2) {
    head[1] = 0x80 | 126
    head.writeUInt16BE(len, 2)
  } else {
    head[1] = 0x80 | 127
    head.writeBigUInt64BE(BigInt(len), 2)
  }
  return Buffer.concat([head, data])
}
