/**
 * @module The edge's side of the relay link: one multiplexed WebSocket per owning relay, opened on
 * demand and reused by every client socket proxied to it (a stream each). A lost link ends every
 * stream with 1012, so their clients reconnect and are routed again.
 */
import WebSocket from 'ws'
import { CloseCode } from '@switchboard/protocol'
import type { SharedFrame } from '../room.ts'
import { LINK_PATH, signLinkHeaders } from './link-auth.ts'
import {
  LinkKind,
  decodeAnswer,
  decodeClose,
  decodeFanout,
  decodeLinkFrame,
  encodeClose,
  encodeLinkFrame,
  encodeOpen,
  encodeRequest,
  type OwnerAnswer,
  type OwnerRequest,
  type StreamOpen,
} from './link-frame.ts'

/** A relay that owns rooms, as `routeRoom` names it. */
export interface LinkTarget {
  relayId: string
  /** Its base URL (http or https); the link goes to `<url>/internal/link`. */
  url: string
}

/** What the owner says of a stream. */
export interface StreamEvents {
  /** `once` is shared by every stream of one fan-out (see SocketAdapter.sendShared). */
  data(frame: Uint8Array, once?: SharedFrame): void
  /** The stream ended at the owner (or the link was lost): close the client with this. */
  ended(code: number, reason: string): void
}

export interface LinkStream {
  /** False when the link is still opening and too much waits for it already. */
  send(frame: Uint8Array): boolean
  /** Ends the stream at the owner; its events stop. */
  close(code: number, reason: string): void
  /** Bytes queued on the link and not yet written out. */
  bufferedAmount(): number
}

export interface LinkPool {
  open(target: LinkTarget, open: StreamOpen, events: StreamEvents): LinkStream
  /**
   * Asks the owner to make a write (scale/owner-requests.ts) on the link its streams use; null
   * when no answer came: the link was lost, could not take the request, or `timeoutMs` passed.
   */
  request(target: LinkTarget, request: OwnerRequest, timeoutMs: number): Promise<OwnerAnswer | null>
  /** Links open or opening. */
  readonly size: number
  /** Closes every link (their streams end with 1001). */
  close(): void
}

export interface LinkPoolOptions {
  relayId: string
  key: Uint8Array
  now: () => number
  log: (event: Record<string, unknown>) => void
  /** A link without a pong for this long is dropped. Default 5 s. */
  heartbeatMs?: number
  /** Bytes waiting for a link to open at most; past it a stream's send fails. Default 64 MiB. */
  maxPendingBytes?: number
}

/** Code and reason of every stream of a lost link: retried by every client (docs/protocol.md). */
export const LINK_LOST = { code: CloseCode.Reloading, reason: 'relay link lost: reconnect' }

interface Link {
  ws: WebSocket
  streams: Map<number, StreamEvents>
  /** Requests waiting for their answer, by id (ids shared with the streams'). */
  requests: Map<number, (answer: OwnerAnswer | null) => void>
  nextId: number
  pending: Uint8Array[]
  pendingBytes: number
  maxPendingBytes: number
  alive: boolean
}

/** Sends `frame` on the link, or queues it while the link opens; false when the queue is full. */
function write(link: Link, frame: Uint8Array): boolean {
  if (link.ws.readyState === WebSocket.OPEN) {
    link.ws.send(frame)
    return true
  }
  if (link.ws.readyState !== WebSocket.CONNECTING) return true // lost: its streams are ending
  if (link.pendingBytes + frame.byteLength > link.maxPendingBytes) return false
  link.pending.push(frame)
  link.pendingBytes += frame.byteLength
  return true
}

/** One stream of a link (a class, not closures: the edge holds one per proxied socket). */
class Stream implements LinkStream {
  readonly link: Link
  readonly id: number

  constructor(link: Link, id: number) {
    this.link = link
    this.id = id
  }

  send(frame: Uint8Array): boolean {
    if (!this.link.streams.has(this.id)) return true // ended: the client is being closed
    return write(this.link, encodeLinkFrame(LinkKind.Data, this.id, frame))
  }

  close(code: number, reason: string): void {
    if (this.link.streams.delete(this.id)) write(this.link, encodeClose(this.id, code, reason))
  }

  bufferedAmount(): number {
    return this.link.ws.bufferedAmount + this.link.pendingBytes
  }
}

export function createLinkPool(options: LinkPoolOptions): LinkPool {
  const { relayId, key, now, log } = options
  const maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024
  const links = new Map<string, Link>()

  function connect(id: string, target: LinkTarget): Link {
    const url = target.url.replace(/^http/, 'ws').replace(/\/+$/, '') + LINK_PATH
    const ws = new WebSocket(url, {
      headers: signLinkHeaders(key, relayId, now()),
      // The owner is authenticated and sends whole sync answers, which may exceed any frame cap.
      maxPayload: 0,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    })
    const link: Link = {
      ws,
      streams: new Map(),
      requests: new Map(),
      nextId: 1,
      pending: [],
      pendingBytes: 0,
      maxPendingBytes,
      alive: true,
    }
    ws.on('open', () => {
      for (const frame of link.pending) ws.send(frame)
      link.pending = []
      link.pendingBytes = 0
    })
    ws.on('pong', () => (link.alive = true))
    ws.on('message', (data: Buffer) => {
      const frame = decodeLinkFrame(data)
      if (!frame) return
      if (frame.kind === LinkKind.Fanout) {
        const fanout = decodeFanout(frame.payload)
        const once: SharedFrame = {}
        if (fanout) for (const s of fanout.streams) link.streams.get(s)?.data(fanout.message, once)
        return
      }
      if (frame.kind === LinkKind.Answer) {
        const answered = link.requests.get(frame.stream)
        link.requests.delete(frame.stream)
        answered?.(decodeAnswer(frame.payload))
        return
      }
      const events = link.streams.get(frame.stream)
      if (!events) return
      if (frame.kind === LinkKind.Data) events.data(frame.payload)
      else if (frame.kind === LinkKind.Close) {
        link.streams.delete(frame.stream)
        const { code, reason } = decodeClose(frame.payload)
        events.ended(code, reason)
      }
    })
    ws.on('error', (err) => {
      log({ level: 'warn', msg: 'relay link failed', to: target.relayId, err: String(err) })
    })
    ws.on('close', () => lost(id, link))
    return link
  }

  function lost(id: string, link: Link): void {
    if (links.get(id) === link) links.delete(id)
    const streams = [...link.streams.values()]
    link.streams.clear()
    link.pending = []
    for (const events of streams) events.ended(LINK_LOST.code, LINK_LOST.reason)
    const requests = [...link.requests.values()]
    link.requests.clear()
    for (const answered of requests) answered(null)
  }

  const heartbeat = setInterval(() => {
    for (const link of links.values()) {
      if (link.ws.readyState !== WebSocket.OPEN) continue
      if (!link.alive) {
        link.ws.terminate()
        continue
      }
      link.alive = false
      link.ws.ping()
    }
  }, options.heartbeatMs ?? 5000)
  heartbeat.unref()

  function linkTo(target: LinkTarget): Link {
    const id = `${target.relayId} ${target.url}`
    let link = links.get(id)
    // A link closing has not told its streams yet: new ones go to a new link.
    if (!link || link.ws.readyState > WebSocket.OPEN) {
      link = connect(id, target)
      links.set(id, link)
    }
    return link
  }

  return {
    get size() {
      return links.size
    },
    request(target, request, timeoutMs) {
      const link = linkTo(target)
      const id = link.nextId++
      return new Promise<OwnerAnswer | null>((resolve) => {
        const timer = setTimeout(() => {
          link.requests.delete(id)
          resolve(null)
        }, timeoutMs)
        const answered = (answer: OwnerAnswer | null) => {
          clearTimeout(timer)
          resolve(answer)
        }
        link.requests.set(id, answered)
        if (write(link, encodeRequest(id, request))) return
        link.requests.delete(id)
        answered(null)
      })
    },
    open(target, open, events) {
      const link = linkTo(target)
      const stream = link.nextId++
      link.streams.set(stream, events)
      write(link, encodeOpen(stream, open))
      return new Stream(link, stream)
    },
    close() {
      clearInterval(heartbeat)
      for (const link of [...links.values()])
        link.ws.close(CloseCode.GoingAway, 'relay shutting down')
    },
  }
}
