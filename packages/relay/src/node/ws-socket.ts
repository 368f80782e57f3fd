/**
 * @module The relay's socket adapter for `ws` sockets: a broadcast is framed once and written to
 * each socket's stream as one buffer, when `ws` has nothing of its own in flight (ws-frame.ts).
 */
import type { WSContext } from 'hono/ws'
import type { WebSocket } from 'ws'
import type { SharedFrame } from '../room.ts'
import type { SocketAdapter, SocketAdapterFactory } from '../socket-adapter.ts'
import { binaryFrame, frameStream } from './ws-frame.ts'

/** One per served socket, for its whole life: methods, not closures (bench/README.md, T8). */
class WsSocket implements SocketAdapter {
  readonly #ws: WSContext<unknown>

  constructor(ws: WSContext<unknown>) {
    this.#ws = ws
  }

  send(frame: Uint8Array): void {
    this.#ws.send(frame as Uint8Array<ArrayBuffer>)
  }

  bufferedAmount(): number {
    return (this.#ws.raw as WebSocket | undefined)?.bufferedAmount ?? 0
  }

  sendShared(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void {
    const stream = frameStream(this.#ws.raw)
    if (!stream) {
      if (frame) this.send(frame)
      for (const f of own) this.send(f)
      return
    }
    const wire = frame && (once.wire ??= binaryFrame(frame))
    // Most sockets of a broadcast have no acks: the shared wire form, nothing copied.
    if (wire && own.length === 0) return void stream.write(wire)
    const wires = own.map(binaryFrame)
    if (wire) wires.unshift(wire)
    stream.write(wires.length === 1 ? wires[0]! : Buffer.concat(wires))
  }
}

export const wsSocketAdapter: SocketAdapterFactory = (ws) => new WsSocket(ws)
