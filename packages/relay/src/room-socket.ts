/**
 * @module A Connection over any socket: a client's WebSocket (routes/sync.ts) or a stream of the
 * relay link (scale/link-server.ts). Both start, feed and end a Connection here, the same way.
 */
import { CloseCode, isSyncStep2 } from '@switchboard/protocol'
import type { Connection } from './connection.ts'
import type { Connections } from './connections.ts'
import type { Expiries } from './expiries.ts'
import type { Metrics } from './metrics.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { SocketAdapter } from './socket-adapter.ts'
import { isOwnedElsewhere } from './storage/storage-error.ts'

/** How a Connection ends its socket (a `WSContext`, or a link stream's close frame). */
export interface SocketCloser {
  close(code: number, reason: string): void
}

export interface RoomSocketDeps {
  rooms: Pick<RoomRegistry, 'open' | 'scheduleIdle'>
  connections: Pick<Connections<Connection>, 'admit'>
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  now: () => number
  maxFrameBytes: number
  maxSyncFrameBytes: number
  maxSocketsPerMember: number
  /** Closes a socket when its token expires. */
  expiries: Pick<Expiries<Connection>, 'add'>
  /** Records the member's activity (last-seen.ts). */
  seen(memberId: string): void
  /** Why this relay serves no room now (scale/room-handoff.ts): the socket gets this close. */
  refusal?(closer: SocketCloser): { code: number; reason: string } | null
}

/**
 * Starts an accepted socket's Connection: counted against its member's cap (`raw` keys its sync
 * budget), its token's expiry armed, its room loaded and joined. False when it was refused and
 * closed: the cap (4529), or a relay serving no room now (1001, 1012).
 */
export function startConnection(
  deps: RoomSocketDeps,
  conn: Connection,
  closer: SocketCloser,
  socket: SocketAdapter,
  raw: unknown,
  exp: number,
): boolean {
  const { metrics, rooms, log } = deps
  const refused = deps.refusal?.(closer)
  if (refused) {
    metrics.closed(refused.code)
    closer.close(refused.code, refused.reason)
    return false
  }
  if (!deps.connections.admit(conn, raw)) {
    metrics.closed(CloseCode.SlowConsumer)
    metrics.reject('member-socket-cap')
    closer.close(
      CloseCode.SlowConsumer,
      `member has ${deps.maxSocketsPerMember} open sockets: close some, retry later`,
    )
    return false
  }
  conn.ws = closer
  conn.socket = socket
  deps.seen(conn.memberId)
  conn.exp = exp
  deps.expiries.add(conn, exp)
  rooms.open(conn.roomName.name).then(
    (room) => {
      if (conn.closed) return rooms.scheduleIdle(room)
      conn.room = room
      room.join(conn)
      const queued = conn.queue
      conn.queue = []
      conn.queuedBytes = 0
      for (const frame of queued) if (!conn.closed) conn.handle(frame)
    },
    (err: unknown) => {
      // Claimed by another relay since the socket was routed: it reconnects and is routed there.
      if (isOwnedElsewhere(err))
        return conn.close(CloseCode.Reloading, 'room moved to another relay')
      log({ level: 'error', msg: 'room refused', room: conn.roomName.name, err: String(err) })
      conn.close(CloseCode.Unreadable, 'room storage unreadable')
    },
  )
  return true
}

/** A frame the socket received: held to its cap, queued until the room has loaded, then handled. */
export function receiveFrame(
  deps: Pick<RoomSocketDeps, 'maxFrameBytes' | 'maxSyncFrameBytes'>,
  conn: Connection,
  frame: Uint8Array | string,
): void {
  if (conn.closed) return
  if (typeof frame === 'string')
    return conn.reject(CloseCode.Malformed, 'text-frame', 'binary frames only')
  // A sync step 2 may be bigger: a replica's reply to the relay's step 1 carries its whole
  // delete set, and a grown room's replicas could not reconnect at all under the frame cap.
  const cap = isSyncStep2(frame) ? deps.maxSyncFrameBytes : deps.maxFrameBytes
  if (frame.byteLength > cap)
    return conn.reject(CloseCode.TooLarge, 'too-large', `${frame.byteLength} bytes`)
  if (!conn.room) {
    conn.queue.push(frame)
    conn.queuedBytes += frame.byteLength
    if (conn.queue.length > 256 || conn.queuedBytes > deps.maxSyncFrameBytes)
      conn.reject(CloseCode.SlowConsumer, 'queue-full', 'too many frames before the room loaded')
    return
  }
  conn.handle(frame)
}

/** The socket closed (or failed): the Connection leaves its room. */
export function socketEnded(deps: Pick<RoomSocketDeps, 'seen'>, conn: Connection | null): void {
  if (conn?.ws) deps.seen(conn.memberId)
  conn?.dispose()
}
