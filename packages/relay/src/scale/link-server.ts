/**
 * @module The owner's side of the relay link: `GET /internal/link`, a signed upgrade from another
 * relay (never a browser's: a request with an Origin is refused). Each stream the edge opens is
 * checked again against this relay's own directory (member active, access, device), then served
 * by a normal Connection, so every rule of the room runs here, unchanged.
 */
import { parseRoom } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { Hono } from 'hono'
import type { UpgradeWebSocket } from 'hono/ws'
import type { Access } from '../access.ts'
import { Connection, type ConnectionDeps } from '../connection.ts'
import type { Ownership } from '../ownership.ts'
import { receiveFrame, socketEnded, startConnection, type RoomSocketDeps } from '../room-socket.ts'
import { claimDevice, memberAccess, type SocketRefusal } from '../socket-admission.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import type { LinkCheck } from './link-auth.ts'
import {
  LinkKind,
  decodeLinkFrame,
  decodeOpen,
  decodeRequest,
  encodeAnswer,
  encodeClose,
  type OwnerAnswer,
  type OwnerRequest,
  type StreamOpen,
} from './link-frame.ts'
import { LinkOut, StreamSocket } from './link-out.ts'

export interface LinkServerDeps extends RoomSocketDeps {
  upgradeWebSocket: UpgradeWebSocket<unknown>
  verify: (header: (name: string) => string | undefined) => LinkCheck
  storage: Pick<RelayStorage, 'getMember' | 'getSession'>
  access: Access['access']
  ownership: Pick<Ownership, 'claimDevice'>
  connection: ConnectionDeps
  /** True once the relay is shutting down: upgrades get 503. */
  closing(): boolean
  /** Makes a write another relay asks of this one, the room's owner (scale/owner-requests.ts). */
  answer?(from: string, request: OwnerRequest): Promise<OwnerAnswer>
}

/** Mounted at `/internal/link`. */
export function linkRoutes(deps: LinkServerDeps): Hono {
  const { metrics, log } = deps
  const app = new Hono()

  /** Why this relay refuses a stream, by its own directory, or the Connection to serve it. */
  function admit(open: StreamOpen): SocketRefusal | Connection {
    const member = deps.storage.getMember(open.memberId)
    if (!member || member.deactivatedAt !== undefined)
      return { ok: false, code: CloseCode.SessionEnded, reason: 'token revoked' }
    // A session this relay knows has ended is refused (a shared store knows them all).
    const session = deps.storage.getSession(open.sessionId)
    if (session && (session.endedAt !== undefined || session.memberId !== member.id))
      return { ok: false, code: CloseCode.SessionEnded, reason: 'token revoked' }
    if (session && deps.now() >= session.expiresAt)
      return { ok: false, code: CloseCode.Unauthorized, reason: 'token session-expired' }
    if (open.exp * 1000 <= deps.now())
      return { ok: false, code: CloseCode.Unauthorized, reason: 'token expired' }
    const roomName = parseRoom(open.room)
    if (!roomName) return { ok: false, code: CloseCode.Forbidden, reason: 'no such room' }
    const granted = memberAccess(deps.access, member, roomName, open.device)
    if (!granted.ok) return granted
    const taken = claimDevice(deps.ownership.claimDevice, { member, device: open.device })
    if (taken) return taken
    const { sessionId, wantsAcks } = open
    return new Connection(deps.connection, member, sessionId, roomName, granted.readOnly, wantsAcks)
  }

  app.get('/', (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      return c.json({ error: 'expected a WebSocket upgrade' }, 426)
    if (c.req.header('origin') !== undefined) {
      metrics.authFailure('link-origin')
      return c.json({ error: 'the relay link is not for browsers' }, 403)
    }
    const check = deps.verify((name) => c.req.header(name))
    if (!check.ok) {
      metrics.authFailure(`link-${check.reason}`)
      log({ level: 'warn', msg: 'relay link refused', reason: check.reason })
      return c.json({ error: `relay link refused: ${check.reason}` }, 401)
    }
    if (deps.closing()) return c.json({ error: 'relay is shutting down' }, 503)
    const from = check.relayId
    const streams = new Map<number, Connection>()
    const forget = (id: number) => streams.delete(id)
    let out: LinkOut | null = null
    /** The link closed: an answer made after it has nowhere to go. */
    let closed = false
    const ended = () => {
      closed = true
      const open = [...streams.values()]
      streams.clear()
      for (const conn of open) socketEnded(deps, conn)
    }
    return deps.upgradeWebSocket(c, {
      onOpen() {
        log({ level: 'info', msg: 'relay link opened', from })
      },
      onMessage(evt, link) {
        const data = evt.data
        const frame =
          typeof data === 'string' ? null : decodeLinkFrame(new Uint8Array(data as ArrayBuffer))
        if (!frame) {
          metrics.reject('link-malformed')
          return link.close(CloseCode.Malformed, 'relay link: binary link frames only')
        }
        const { stream, payload } = frame
        switch (frame.kind) {
          case LinkKind.Data: {
            const conn = streams.get(stream)
            if (conn) receiveFrame(deps, conn, payload)
            return
          }
          case LinkKind.Close: {
            const conn = streams.get(stream)
            streams.delete(stream)
            socketEnded(deps, conn ?? null)
            return
          }
          case LinkKind.Open: {
            if (streams.has(stream)) return
            const open = decodeOpen(payload)
            const conn: SocketRefusal | Connection = open
              ? admit(open)
              : { ok: false, code: CloseCode.Malformed, reason: 'relay link: malformed open' }
            if (!(conn instanceof Connection)) {
              metrics.authFailure(conn.reason.replace(/ /g, '-'))
              metrics.closed(conn.code)
              ;(out ??= new LinkOut(link)).write(encodeClose(stream, conn.code, conn.reason))
              return
            }
            out ??= new LinkOut(link)
            const socket = new StreamSocket(out, stream, forget)
            streams.set(stream, conn)
            startConnection(deps, conn, socket, socket, socket, open!.exp)
            return
          }
          case LinkKind.Request: {
            const request = decodeRequest(payload)
            const reply = (answer: OwnerAnswer) => {
              if (!closed) (out ??= new LinkOut(link)).write(encodeAnswer(stream, answer))
            }
            if (!request || !deps.answer)
              return reply({ ok: false, error: 'refused', message: 'relay link: bad request' })
            void deps
              .answer(from, request)
              .then(reply, (err: unknown) =>
                reply({ ok: false, error: 'failed', message: String(err) }),
              )
            return
          }
          default:
            metrics.reject('link-malformed')
            link.close(CloseCode.Malformed, `relay link: unknown frame kind ${frame.kind}`)
        }
      },
      onClose() {
        log({ level: 'info', msg: 'relay link closed', from })
        ended()
      },
      onError() {
        ended()
      },
    })
  })
  return app
}
