/**
 * @module What the relay needs of a socket beyond Hono's `WSContext`: how far behind it is, and a
 * broadcast frame sent once for many sockets. The runtime glue brings its own (src/node/).
 */
import type { WSContext } from 'hono/ws'
import type { SharedFrame } from './room.ts'

export interface SocketAdapter {
  send(frame: Uint8Array): void
  /** Bytes queued on the socket and not yet written out. */
  bufferedAmount(): number
  /**
   * The broadcast `frame` (null: none for this socket), then this socket's `own` frames, in
   * order; `once` is shared by every socket of the broadcast (see Peer.sendShared).
   */
  sendShared(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void
}

export type SocketAdapterFactory = (ws: WSContext<unknown>) => SocketAdapter

/** A socket adapter from the WebSocket API alone: each frame sent on its own. */
export const webSocketAdapter: SocketAdapterFactory = (ws) => {
  const send = (frame: Uint8Array) => ws.send(frame as Uint8Array<ArrayBuffer>)
  return {
    send,
    bufferedAmount: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
    sendShared(frame, _once, own) {
      if (frame) send(frame)
      for (const f of own) send(f)
    },
  }
}
