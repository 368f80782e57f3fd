/**
 * @module The relay's socket adapter for `ws` sockets: a broadcast is framed once and written to
 * each socket's stream as one buffer, when `ws` has nothing of its own in flight (ws-frame.ts).
 */
import type { WebSocket } from 'ws'
import type { SocketAdapterFactory } from '../socket-adapter.ts'
import { binaryFrame, frameStream } from './ws-frame.ts'

export const wsSocketAdapter: SocketAdapterFactory = (ws) => {
  const send = (frame: Uint8Array) => ws.send(frame as Uint8Array<ArrayBuffer>)
  return {
    send,
    bufferedAmount: () => (ws.raw as WebSocket | undefined)?.bufferedAmount ?? 0,
    sendShared(frame, once, own) {
      const stream = frameStream(ws.raw)
      if (!stream) {
        for (const f of frame ? [frame, ...own] : own) send(f)
        return
      }
      const wire = frame && (once.wire ??= binaryFrame(frame))
      // Most sockets of a broadcast have no acks: the shared wire form, nothing copied.
      if (wire && own.length === 0) return void stream.write(wire)
      const wires = own.map(binaryFrame)
      if (wire) wires.unshift(wire)
      stream.write(wires.length === 1 ? wires[0]! : Buffer.concat(wires))
    },
  }
}
