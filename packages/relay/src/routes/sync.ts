/**
 * @module `GET /sync/:room`: the WebSocket upgrade. Every socket is authenticated and checked for
 * room access before any document byte is sent; a refused socket is opened only to be closed
 * with a code the client can act on (docs/protocol.md). A room another relay owns (`routeRoom`)
 * is proxied to it over the relay link (scale/link-proxy.ts).
 */
import { Hono, type Context } from 'hono'
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws'
import type { Access } from '../access.ts'
import { Connection, type ConnectionDeps } from '../connection.ts'
import type { Connections } from '../connections.ts'
import type { Authenticate } from '../http.ts'
import type { Ownership } from '../ownership.ts'
import { CloseCode } from '@switchboard/protocol'
import { receiveFrame, socketEnded, startConnection, type RoomSocketDeps } from '../room-socket.ts'
import type { RouteRoom } from '../relay-options.ts'
import type { SocketAdapterFactory } from '../socket-adapter.ts'
import { admitSocket, claimDevice, type SocketRefusal } from '../socket-admission.ts'
import type { LinkPool } from '../scale/link-pool.ts'
import { ProxiedSocket } from '../scale/link-proxy.ts'

export interface SyncDeps extends RoomSocketDeps {
  upgradeWebSocket: UpgradeWebSocket<unknown>
  socketAdapter: SocketAdapterFactory
  authenticate: Authenticate
  access: Access['access']
  ownership: Ownership
  connections: Connections<Connection | ProxiedSocket>
  connection: ConnectionDeps
  allowedOrigins: ReadonlySet<string>
  maxBufferedBytes: number
  /** Which relay owns a room; unset: this one, always. */
  routeRoom: RouteRoom | undefined
  /** The links to the other relays (when `routeRoom` is set). */
  links: LinkPool | null
  /** True once the relay is shutting down: upgrades get 503. */
  closing(): boolean
}

/** Mounted at `/sync`. */
export function syncRoutes(deps: SyncDeps): Hono {
  const { upgradeWebSocket, ownership, metrics, log, allowedOrigins } = deps
  const app = new Hono()
  const proxying = deps.links ? { ...deps, links: deps.links } : null

  function originAllowed(c: Context): boolean {
    const origin = c.req.header('origin')
    if (!origin) return true // not a browser: no ambient credentials to abuse
    if (allowedOrigins.has(origin)) return true
    try {
      return new URL(origin).host === c.req.header('host')
    } catch {
      return false
    }
  }

  app.get('/:room', async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      return c.json({ error: 'expected a WebSocket upgrade' }, 426)
    if (deps.closing()) return c.json({ error: 'relay is shutting down' }, 503)
    if (!originAllowed(c)) {
      metrics.authFailure('origin')
      log({ level: 'warn', msg: 'origin refused', origin: c.req.header('origin') })
      return c.json({ error: 'origin not allowed' }, 403)
    }
    // The device this socket writes as [L1]: bound to the member by the room's owner.
    const grant = await admitSocket(deps, {
      room: c.req.param('room'),
      token: c.req.query('token'),
      device: c.req.query('device'),
    })
    const wantsAcks = c.req.query('ack') === '1'
    let refusal: SocketRefusal | null = grant.ok ? null : grant
    if (grant.ok && deps.routeRoom) {
      let route: Awaited<ReturnType<RouteRoom>>
      try {
        route = await deps.routeRoom(grant.roomName.name)
      } catch (err) {
        log({
          level: 'error',
          msg: 'room owner unknown',
          room: grant.roomName.name,
          err: String(err),
        })
        route = 'self'
        refusal = { ok: false, code: CloseCode.Reloading, reason: 'room owner unknown, retry' }
      }
      if (route !== 'self' && proxying)
        return upgradeWebSocket(c, new ProxiedSocket(proxying, grant, route, wantsAcks))
    }
    let conn: Connection | null = null
    if (grant.ok && !refusal) {
      refusal = claimDevice(ownership.claimDevice, grant)
      if (!refusal)
        conn = new Connection(
          deps.connection,
          grant.member,
          grant.sessionId,
          grant.roomName,
          grant.readOnly,
          wantsAcks,
        )
    }
    if (refusal) metrics.authFailure(refusal.reason.replace(/ /g, '-'))
    const exp = grant.ok ? grant.exp : 0
    return upgradeWebSocket(c, new ServedSocket(deps, conn, refusal, exp))
  })
  return app
}

/** A socket this relay serves (or refuses), as Hono calls it: methods, not closures per socket. */
class ServedSocket implements WSEvents<unknown> {
  readonly #deps: SyncDeps
  readonly #conn: Connection | null
  readonly #refusal: SocketRefusal | null
  /** The token's expiry (seconds since the epoch). */
  readonly #exp: number

  constructor(deps: SyncDeps, conn: Connection | null, refusal: SocketRefusal | null, exp: number) {
    this.#deps = deps
    this.#conn = conn
    this.#refusal = refusal
    this.#exp = exp
  }

  onOpen(_evt: Event, ws: WSContext<unknown>): void {
    const deps = this.#deps
    const conn = this.#conn
    const refusal = this.#refusal
    if (refusal || !conn) {
      deps.metrics.closed(refusal?.code ?? CloseCode.Forbidden)
      ws.close(refusal?.code ?? CloseCode.Forbidden, refusal?.reason ?? 'refused')
      return
    }
    startConnection(deps, conn, ws, deps.socketAdapter(ws), ws.raw, this.#exp)
  }

  onMessage(evt: MessageEvent): void {
    const data: unknown = evt.data
    const conn = this.#conn
    if (conn && !conn.closed)
      receiveFrame(
        this.#deps,
        conn,
        typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer),
      )
  }

  onClose(): void {
    socketEnded(this.#deps, this.#conn)
  }

  onError(): void {
    this.#conn?.dispose()
  }
}
