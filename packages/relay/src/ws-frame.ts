/**
 * @module Framing a broadcast once. `ws` frames every send on its own (a header buffer, a cork,
 * two writes) and a broadcast to 1,000 sockets paid that 1,000 times for the same bytes. A frame
 * built here once is written to each socket's stream as one buffer — only while `ws` has nothing
 * of its own in flight on that socket, so the order of frames on the wire is kept.
 */

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
