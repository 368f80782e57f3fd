/**
 * @module Hono's `upgradeWebSocket` on a Node HTTP server with `ws`, in place of `@hono/node-ws`:
 * the same contract (the route's answer decides; `onOpen` runs once the handshake is done, after
 * the server's `connection` listeners), but an open socket holds nothing of its upgrade request.
 * `@hono/node-ws` kept the Hono `Context` (its `Request`, `IncomingMessage`, headers and answer)
 * alive in its socket's listeners for the socket's whole life; here the route leaves only its
 * events, the socket's listeners are shared by every socket, and its `WSContext` has no URL.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Hono } from 'hono'
import {
  defineWebSocketHelper,
  WSContext,
  type UpgradeWebSocket,
  type WSContextInit,
  type WSEvents,
  type WSReadyState,
} from 'hono/ws'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import './error-event.ts'

/** A `ws` socket with the route's events: the listeners below find them here, no closure each. */
export class EventsWebSocket extends WebSocket {
  events: WSEvents<unknown> | null = null
  context: WSContext<unknown> | null = null
}

/** What a `WSContext` does, as methods of one small object (not three closures) per socket. */
class SocketInit implements WSContextInit<WebSocket> {
  readonly raw: WebSocket
  constructor(raw: WebSocket) {
    this.raw = raw
  }
  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>, options: { compress?: boolean }) {
    this.raw.send(data, { compress: options.compress })
  }
  close(code?: number, reason?: string) {
    this.raw.close(code, reason)
  }
  get readyState(): WSReadyState {
    return this.raw.readyState as WSReadyState
  }
}

/** The events Hono's `WSEvents` take (DOM types where a package has them). */
type ClosedEvent = Parameters<NonNullable<WSEvents<unknown>['onClose']>>[0]
type CloseInit = { code: number; reason: string }
const globals = globalThis as unknown as {
  CloseEvent?: new (type: string, init: CloseInit) => ClosedEvent
  ErrorEvent: new (type: string, init: { error: unknown }) => Event
}

/** Node 20 has no `CloseEvent` (22 does). */
const CloseEventOf: new (type: string, init: CloseInit) => ClosedEvent =
  globals.CloseEvent ??
  class extends Event {
    readonly code: number
    readonly reason: string
    readonly wasClean = false
    constructor(type: string, init: CloseInit) {
      super(type)
      this.code = init.code
      this.reason = init.reason
    }
  }

const report = (err: unknown) => console.error(err)

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const { events, context } = this as EventsWebSocket
  if (!events?.onMessage || !context) return
  for (const part of Array.isArray(data) ? data : [data]) {
    const payload = !isBinary
      ? part.toString('utf-8')
      : part instanceof ArrayBuffer
        ? part
        : part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength)
    try {
      events.onMessage(new MessageEvent('message', { data: payload }), context)
    } catch (err) {
      report(err)
    }
  }
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const { events, context } = this as EventsWebSocket
  if (!events?.onClose || !context) return
  try {
    events.onClose(new CloseEventOf('close', { code, reason: reason.toString() }), context)
  } catch (err) {
    report(err)
  }
}

function onError(this: WebSocket, error: Error): void {
  const { events, context } = this as EventsWebSocket
  if (!events?.onError || !context) return
  try {
    events.onError(new globals.ErrorEvent('error', { error }), context)
  } catch (err) {
    report(err)
  }
}

export interface NodeWebSocket {
  /** The `ws` server (no port of its own): its options and `clients`, and `connection` events. */
  wss: WebSocketServer
  upgradeWebSocket: UpgradeWebSocket<unknown>
  /** Routes the HTTP server's upgrade requests through `app`. */
  injectWebSocket(server: { on(event: 'upgrade', fn: UpgradeListener): unknown }): void
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/** `upgradeWebSocket` for the routes of `app`, served by one `ws` server making `Socket`s. */
export function createNodeWebSocket(
  app: Hono,
  Socket: typeof EventsWebSocket = EventsWebSocket,
): NodeWebSocket {
  const wss = new WebSocketServer({ noServer: true, WebSocket: Socket })
  /** The events a route gave for its upgrade request, taken once its answer is made. */
  const pending = new WeakMap<IncomingMessage, WSEvents<unknown>>()

  const upgradeWebSocket = defineWebSocketHelper((c, events) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return
    pending.set((c.env as { incoming: IncomingMessage }).incoming, events)
    return new Response()
  })

  const open = (ws: EventsWebSocket, events: WSEvents<unknown>) => {
    const context = new WSContext<unknown>(new SocketInit(ws))
    ws.events = events
    ws.context = context
    ws.on('message', onMessage)
    ws.on('close', onClose)
    ws.on('error', onError)
    try {
      events.onOpen?.(new Event('open'), context)
    } catch (err) {
      report(err)
    }
  }

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const headers = new Headers()
    for (const key in request.headers) {
      const value = request.headers[key]
      if (value) headers.append(key, Array.isArray(value) ? value[0]! : value)
    }
    const url = new URL(request.url ?? '/', 'http://localhost')
    let status = 500
    try {
      status = (await app.request(url, { headers }, { incoming: request, outgoing: undefined }))
        .status
    } catch (err) {
      report(err)
    }
    const events = pending.get(request)
    pending.delete(request)
    if (!events) {
      const text = STATUS_CODES[status] ?? ''
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request)
      open(ws as EventsWebSocket, events)
    })
  }

  return {
    wss,
    upgradeWebSocket,
    injectWebSocket(server) {
      server.on('upgrade', (request, socket, head) => void upgrade(request, socket, head))
    },
  }
}
