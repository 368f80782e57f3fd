/**
 * @module A client socket this relay accepted for a room another relay owns (the edge's half of
 * the relay link): its frames go to the owner over a link stream, the owner's come back, and a
 * close on either side closes the other with the same code and reason.
 */
import type { Room as RoomName } from '@switchboard/core'
import { CloseCode, isSyncStep2 } from '@switchboard/protocol'
import type { WSContext, WSEvents } from 'hono/ws'
import type { Connections, Tracked } from '../connections.ts'
import type { Metrics } from '../metrics.ts'
import type { SharedFrame } from '../room.ts'
import type { SocketAdapterFactory } from '../socket-adapter.ts'
import type { SocketGrant } from '../socket-admission.ts'

/** No frames of its own besides a fan-out's (none allocated per client). */
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([])
import {
  LINK_LOST,
  type LinkPool,
  type LinkStream,
  type LinkTarget,
  type StreamEvents,
} from './link-pool.ts'
import type { StreamOpen } from './link-frame.ts'

export interface ProxyDeps {
  links: LinkPool
  connections: Pick<Connections<ProxiedSocket>, 'admit' | 'remove'>
  metrics: Metrics
  maxFrameBytes: number
  maxSyncFrameBytes: number
  maxBufferedBytes: number
  maxSocketsPerMember: number
  seen(memberId: string): void
  socketAdapter: SocketAdapterFactory
  log: (event: Record<string, unknown>) => void
}

/**
 * A proxied client socket: the edge's registry of sockets sees it (caps, session ends, revokes),
 * Hono calls its socket events, the link its stream events. One object, no closures: the edge
 * holds one per proxied socket.
 */
export class ProxiedSocket implements Tracked, WSEvents<unknown>, StreamEvents {
  readonly memberId: string
  readonly sessionId: string
  readonly roomName: RoomName
  /** Keepalives come from the owner, through the stream. */
  readonly live = false
  sentTick = 0
  ws: WSContext<unknown> | null = null
  stream: LinkStream | null = null
  closed = false
  /** Bytes of sync answers allowed on top of maxBufferedBytes (as Connection's). */
  #allowance = 0
  readonly #deps: ProxyDeps
  readonly #target: LinkTarget
  /** What the owner is told when the socket opens; dropped then. */
  #open: StreamOpen | null

  constructor(deps: ProxyDeps, grant: SocketGrant, target: LinkTarget, wantsAcks: boolean) {
    this.#deps = deps
    this.#target = target
    this.memberId = grant.member.id
    this.sessionId = grant.sessionId
    this.roomName = grant.roomName
    this.#open = {
      room: grant.roomName.name,
      memberId: grant.member.id,
      sessionId: grant.sessionId,
      exp: grant.exp,
      wantsAcks,
      ...(grant.device === undefined ? {} : { device: grant.device }),
    }
  }

  onOpen(_evt: Event, ws: WSContext<unknown>): void {
    const deps = this.#deps
    const open = this.#open!
    this.#open = null
    if (!deps.connections.admit(this, ws.raw)) {
      this.closed = true
      deps.metrics.closed(CloseCode.SlowConsumer)
      deps.metrics.reject('member-socket-cap')
      ws.close(
        CloseCode.SlowConsumer,
        `member has ${deps.maxSocketsPerMember} open sockets: close some, retry later`,
      )
      return
    }
    this.ws = ws
    deps.seen(this.memberId)
    try {
      this.stream = deps.links.open(this.#target, open, this)
    } catch (err) {
      // An owner URL the link cannot even dial (routeRoom's answer): retried, as a lost link.
      deps.log({
        level: 'error',
        msg: 'relay link refused',
        to: this.#target.relayId,
        err: String(err),
      })
      this.ended(LINK_LOST.code, LINK_LOST.reason)
    }
  }

  onMessage(evt: MessageEvent): void {
    this.forward(evt.data)
  }

  onClose(): void {
    this.clientClosed()
  }

  onError(): void {
    this.clientClosed()
  }

  /** A frame from the owner; `once` is shared by every client of one fan-out. */
  data(frame: Uint8Array, once?: SharedFrame): void {
    const ws = this.ws
    if (this.closed || !ws) return
    const buffered = (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0
    if (buffered <= this.#deps.maxBufferedBytes) this.#allowance = 0
    if (buffered > this.#deps.maxBufferedBytes + this.#allowance)
      return this.close(CloseCode.SlowConsumer, 'too far behind, resync')
    // The runtime's adapter frames a fan-out once for all its clients; made for the call, as
    // one kept per socket would cost each proxied socket 0.7 KiB.
    if (once) return this.#deps.socketAdapter(ws).sendShared(frame, once, NO_FRAMES)
    if (isSyncStep2(frame)) this.#allowance += frame.byteLength
    ws.send(frame as Uint8Array<ArrayBuffer>)
  }

  /** A frame to the client (the registry's keepalive; none: `live` is false). */
  send(frame: Uint8Array): void {
    this.data(frame)
  }

  /** A frame from the client, to the owner: held to the same caps as on a direct socket. */
  forward(data: unknown): void {
    if (this.closed || !this.stream) return
    const { metrics, maxFrameBytes, maxSyncFrameBytes, maxBufferedBytes } = this.#deps
    if (typeof data === 'string') return this.#reject(CloseCode.Malformed, 'text-frame')
    const frame = new Uint8Array(data as ArrayBuffer)
    const cap = isSyncStep2(frame) ? maxSyncFrameBytes : maxFrameBytes
    if (frame.byteLength > cap) return this.#reject(CloseCode.TooLarge, 'too-large')
    // The owner is not reading the link fast enough: this client waits elsewhere, as when slow.
    if (this.stream.bufferedAmount() > maxBufferedBytes || !this.stream.send(frame)) {
      metrics.reject('link-behind')
      this.close(CloseCode.SlowConsumer, 'relay link behind, retry')
    }
  }

  #reject(code: number, reason: string): void {
    this.#deps.metrics.reject(reason)
    this.close(
      code,
      reason === 'too-large' ? 'too-large: frame over its cap' : 'binary frames only',
    )
  }

  /** Closes the client and ends the stream at the owner. */
  close(code: number, reason: string): void {
    if (this.closed) return
    this.stream?.close(code, reason)
    this.ended(code, reason)
  }

  /** The owner ended the stream (or the link was lost): the client gets its code and reason. */
  ended(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.#deps.connections.remove(this)
    this.#deps.metrics.closed(code)
    try {
      this.ws?.close(code, reason.slice(0, 120))
    } catch {
      // A code a WebSocket may not send (the owner is trusted, but never crash on it).
      this.ws?.close(1011, 'relay link: bad close code')
    }
  }

  /** The client went away: the owner's Connection leaves its room. */
  clientClosed(): void {
    if (this.closed) return
    this.closed = true
    this.#deps.connections.remove(this)
    this.stream?.close(1000, 'client closed')
    this.#deps.seen(this.memberId)
  }
}
