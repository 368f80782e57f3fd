/**
 * @module The owner's sending side of a relay link: each stream a Connection's socket, and a
 * broadcast sent once per link (one fan-out frame naming the link's streams that get it), not once
 * per proxied socket. Frames leave in the order they were sent: a fan-out waiting for the rest of
 * its broadcast goes out before any other frame of the link.
 */
import type { WSContext } from 'hono/ws'
import type { SharedFrame } from '../room.ts'
import type { SocketAdapter } from '../socket-adapter.ts'
import { LinkKind, encodeClose, encodeFanout, encodeLinkFrame } from './link-frame.ts'

/** A broadcast frame collected for the streams of one link. */
interface Fanout {
  once: SharedFrame
  frame: Uint8Array
  streams: number[]
}

/** One link, as the owner writes to it. */
export class LinkOut {
  readonly ws: WSContext<unknown>
  #fanout: Fanout | null = null

  constructor(ws: WSContext<unknown>) {
    this.ws = ws
  }

  /** Writes `frame` after any fan-out still collecting. */
  write(frame: Uint8Array<ArrayBuffer>): void {
    if (this.#fanout) this.flush()
    this.ws.send(frame)
  }

  /** Adds `stream` to the fan-out of the broadcast `once`; it leaves once the broadcast is sent. */
  share(stream: number, frame: Uint8Array, once: SharedFrame): void {
    if (this.#fanout && this.#fanout.once !== once) this.flush()
    if (!this.#fanout) {
      this.#fanout = { once, frame, streams: [] }
      // The room's broadcast loop is synchronous: its other sockets join before this runs.
      queueMicrotask(() => this.flush())
    }
    this.#fanout.streams.push(stream)
  }

  flush(): void {
    const f = this.#fanout
    if (!f) return
    this.#fanout = null
    this.ws.send(
      f.streams.length === 1
        ? encodeLinkFrame(LinkKind.Data, f.streams[0]!, f.frame)
        : encodeFanout(f.streams, f.frame),
    )
  }

  bufferedAmount(): number {
    return (this.ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0
  }
}

/** A stream of a link as a Connection's socket: its frames wrapped, its close a Close frame. */
export class StreamSocket implements SocketAdapter {
  closed = false
  readonly out: LinkOut
  readonly id: number
  readonly #onClose: (id: number) => void

  constructor(out: LinkOut, id: number, onClose: (id: number) => void) {
    this.out = out
    this.id = id
    this.#onClose = onClose
  }

  send(frame: Uint8Array): void {
    if (!this.closed) this.out.write(encodeLinkFrame(LinkKind.Data, this.id, frame))
  }

  /** The link's: a stream is as far behind as the link it shares. */
  bufferedAmount(): number {
    return this.out.bufferedAmount()
  }

  sendShared(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void {
    if (this.closed) return
    if (frame && own.length === 0) return this.out.share(this.id, frame, once)
    if (frame) this.send(frame)
    for (const f of own) this.send(f)
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.#onClose(this.id)
    this.out.write(encodeClose(this.id, code, reason))
  }
}
