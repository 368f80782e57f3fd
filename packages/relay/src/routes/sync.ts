/**
 * @module `GET /sync/:room`: the WebSocket upgrade. Every socket is authenticated and checked for
 * room access before any document byte is sent; a refused socket is opened only to be closed
 * with a code the client can act on (docs/protocol.md).
 */
import { isValidId, parseRoom } from '@switchboard/core'
import { Hono, type Context } from 'hono'
import type { UpgradeWebSocket } from 'hono/ws'
import type { Access } from '../access.ts'
import { Connection, type ConnectionDeps } from '../connection.ts'
import type { Connections } from '../connections.ts'
import type { Authenticate } from '../http.ts'
import type { Metrics } from '../metrics.ts'
import type { Ownership } from '../ownership.ts'
import { CloseCode, isSyncStep2 } from '@switchboard/protocol'
import type { RoomRegistry } from '../room-registry.ts'
import type { SocketAdapterFactory } from '../socket-adapter.ts'

export interface SyncDeps {
  upgradeWebSocket: UpgradeWebSocket<unknown>
  socketAdapter: SocketAdapterFactory
  authenticate: Authenticate
  access: Access['access']
  ownership: Ownership
  rooms: Pick<RoomRegistry, 'open' | 'scheduleIdle'>
  connections: Connections<Connection>
  connection: ConnectionDeps
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  now: () => number
  allowedOrigins: ReadonlySet<string>
  maxFrameBytes: number
  maxSyncFrameBytes: number
  maxSocketsPerMember: number
  /** Records the member's activity (last-seen.ts). */
  seen(memberId: string): void
  /** True once the relay is shutting down: upgrades get 503. */
  closing(): boolean
}

/** Mounted at `/sync`. */
export function syncRoutes(deps: SyncDeps): Hono {
  const { upgradeWebSocket, socketAdapter, authenticate, ownership, rooms, connections } = deps
  const { metrics, log, now, allowedOrigins, maxFrameBytes, maxSyncFrameBytes } = deps
  const { maxSocketsPerMember } = deps
  const app = new Hono()

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
    const name = c.req.param('room')
    const roomName = parseRoom(name)
    const auth = await authenticate(c.req.query('token'))
    // The device this socket writes as [L1]: bound to the member now if nobody holds it.
    const device = c.req.query('device')
    let refusal: { code: number; reason: string } | null = null
    let conn: Connection | null = null
    if (!auth.ok)
      refusal = {
        code: auth.reason === 'revoked' ? CloseCode.SessionEnded : CloseCode.Unauthorized,
        reason: `token ${auth.reason}`,
      }
    else if (!roomName) refusal = { code: CloseCode.Forbidden, reason: 'no such room' }
    else {
      const granted = deps.access(auth.member, roomName)
      if (!granted) refusal = { code: CloseCode.Forbidden, reason: 'no access to this room' }
      else if (device !== undefined && !isValidId(device))
        refusal = { code: CloseCode.Malformed, reason: 'device is not an id' }
      else if (device !== undefined && !ownership.claimDevice(device, auth.member.id))
        refusal = { code: CloseCode.DeviceTaken, reason: 'device id of another member' }
      else
        conn = new Connection(
          deps.connection,
          auth.member,
          auth.sessionId,
          roomName,
          granted.readOnly,
          c.req.query('ack') === '1',
        )
    }
    if (refusal) metrics.authFailure(refusal.reason.replace(/ /g, '-'))
    const exp = auth.ok ? auth.exp : 0
    return upgradeWebSocket(c, {
      onOpen(_evt, ws) {
        if (refusal || !conn) {
          metrics.closed(refusal?.code ?? CloseCode.Forbidden)
          ws.close(refusal?.code ?? CloseCode.Forbidden, refusal?.reason ?? 'refused')
          return
        }
        const self = conn
        if (!connections.admit(self, ws.raw)) {
          metrics.closed(CloseCode.SlowConsumer)
          metrics.reject('member-socket-cap')
          ws.close(
            CloseCode.SlowConsumer,
            `member has ${maxSocketsPerMember} open sockets: close some, retry later`,
          )
          return
        }
        self.ws = ws
        self.socket = socketAdapter(ws)
        deps.seen(self.memberId)
        const ttl = Math.min(exp * 1000 - now(), 2 ** 31 - 1)
        self.expiry = setTimeout(() => self.close(CloseCode.Unauthorized, 'token expired'), ttl)
        rooms.open(self.roomName.name).then(
          (room) => {
            if (self.closed) return rooms.scheduleIdle(room)
            self.room = room
            room.join(self)
            const queued = self.queue
            self.queue = []
            self.queuedBytes = 0
            for (const frame of queued) if (!self.closed) self.handle(frame)
          },
          (err: unknown) => {
            log({ level: 'error', msg: 'room refused', room: self.roomName.name, err: String(err) })
            self.close(CloseCode.Unreadable, 'room storage unreadable')
          },
        )
      },
      onMessage(evt, _ws) {
        const self = conn
        if (!self || self.closed) return
        const data = evt.data
        if (typeof data === 'string')
          return self.reject(CloseCode.Malformed, 'text-frame', 'binary frames only')
        const frame = new Uint8Array(data as ArrayBuffer)
        // A sync step 2 may be bigger: a replica's reply to the relay's step 1 carries its whole
        // delete set, and a grown room's replicas could not reconnect at all under the frame cap.
        const cap = isSyncStep2(frame) ? maxSyncFrameBytes : maxFrameBytes
        if (frame.byteLength > cap)
          return self.reject(CloseCode.TooLarge, 'too-large', `${frame.byteLength} bytes`)
        if (!self.room) {
          self.queue.push(frame)
          self.queuedBytes += frame.byteLength
          if (self.queue.length > 256 || self.queuedBytes > maxSyncFrameBytes)
            self.reject(
              CloseCode.SlowConsumer,
              'queue-full',
              'too many frames before the room loaded',
            )
          return
        }
        self.handle(frame)
      },
      onClose() {
        if (conn?.ws) deps.seen(conn.memberId)
        conn?.dispose()
      },
      onError() {
        conn?.dispose()
      },
    })
  })
  return app
}
