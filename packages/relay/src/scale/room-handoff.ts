/**
 * @module When a relay on PostgreSQL must stop serving rooms (docs/scale-out.md "Lost leases and
 * drains"): its lease may have lapsed (another relay may take its rooms), or it drains on SIGTERM.
 * Served sockets close — a client's own with 1001 so it moves to another relay, a relay link's
 * stream with 1012 so its client stays on its edge, which routes it again — and new sockets, link
 * streams and room loads are refused until the relay serves again. Sockets this relay only
 * proxies to other owners are left alone.
 */
import { CloseCode } from '@switchboard/protocol'
import { Connection } from '../connection.ts'
import type { Connections } from '../connections.ts'
import type { RoomRegistry } from '../room-registry.ts'
import type { SocketCloser } from '../room-socket.ts'
import type { ProxiedSocket } from './link-proxy.ts'
import { StreamSocket } from './link-out.ts'

export type StopReason = 'lease' | 'drain'

/** A room load or write refused because this relay is not serving rooms now (it passes). */
export class NotServingError extends Error {
  /** Why, in a few words: the lease lost, or the relay shutting down. */
  readonly reason: string
  constructor(message: string, reason: string) {
    super(message)
    this.name = 'NotServingError'
    this.reason = reason
  }
}

export interface RoomHandoff {
  /** Why no room is served now, or null while serving. */
  readonly stopped: StopReason | null
  /** The close a new socket gets instead of a room while stopped (null: serve it). */
  refusal: (closer: SocketCloser) => { code: number; reason: string } | null
  /** Throws while stopped: a room is loaded (and claimed) only by a serving relay. */
  assertServing(room: string): void
  /**
   * The lease may have lapsed: closes every served socket and drops every room from memory, so a
   * room is read from its log again before it is served again.
   */
  loseLease(): void
  /** The lease was renewed: rooms are served (and claimed anew) again. */
  regainLease(): void
  /**
   * Drain: refuses new sockets, waits until everything the served rooms applied is stored and
   * acknowledged, runs `release` (the leases: other relays may claim the rooms from then on),
   * tells `handOff` the rooms that had sockets (their successors may load them now), closes the
   * rooms' sockets, then waits for what arrived meanwhile. Resolves with the number of rooms that
   * were in memory. The relay never serves again.
   */
  drain(release: () => Promise<void>, handOff?: (rooms: string[]) => void): Promise<number>
  /**
   * Rooms a draining relay handed to this one (scale/room-successors.ts): loaded, and so claimed,
   * now, before their clients arrive; unloaded after `roomIdleMs` if none does.
   */
  prepare(rooms: readonly string[]): void
  /** True while `room` is served here: in memory, or being loaded (and so claimed), here. */
  serves(room: string): boolean
}

export interface RoomHandoffDeps {
  rooms: Pick<RoomRegistry, 'all' | 'unload' | 'open' | 'scheduleIdle' | 'holds'>
  connections: Pick<Connections<Connection | ProxiedSocket>, 'closeWhere'>
}

const MOVING = 'room moving to another relay'
const WHY: Record<StopReason, string> = {
  lease: 'relay lost its room lease',
  drain: 'relay shutting down',
}

export function createRoomHandoff(deps: RoomHandoffDeps): RoomHandoff {
  const { rooms, connections } = deps
  let stopped: StopReason | null = null

  const isLink = (closer: SocketCloser | null) => closer instanceof StreamSocket
  const closeServed = (why: StopReason) => {
    const served = (c: Connection | ProxiedSocket): c is Connection => c instanceof Connection
    connections.closeWhere((c) => served(c) && isLink(c.ws), CloseCode.Reloading, MOVING)
    connections.closeWhere(served, CloseCode.GoingAway, WHY[why])
  }
  const settle = (list: { durable(): Promise<void> }[]) =>
    Promise.allSettled(list.map((r) => r.durable()))

  return {
    get stopped() {
      return stopped
    },
    refusal: (closer) =>
      stopped === null
        ? null
        : isLink(closer)
          ? { code: CloseCode.Reloading, reason: MOVING }
          : { code: CloseCode.GoingAway, reason: WHY[stopped] },
    assertServing(room) {
      if (stopped !== null)
        throw new NotServingError(`room ${room} not loaded: ${WHY[stopped]}`, WHY[stopped])
    },
    loseLease() {
      if (stopped !== null) return
      stopped = 'lease'
      closeServed('lease')
      const lost = new NotServingError(WHY.lease, WHY.lease)
      // A room with nothing in flight is simply dropped; one still storing (or being rebuilt
      // into an epoch) fails, so its batches settle before it is read again.
      for (const room of rooms.all())
        if (room.settled && !room.sealed && !room.failed) rooms.unload(room)
        else room.fail(lost, CloseCode.GoingAway)
    },
    regainLease() {
      if (stopped === 'lease') stopped = null
    },
    prepare(names) {
      if (stopped !== null) return
      for (const name of names)
        // A room another relay took first, or one that cannot be read now, waits for its sockets.
        rooms.open(name).then(
          (room) => rooms.scheduleIdle(room),
          () => {},
        )
    },
    serves: (room) => stopped === null && rooms.holds(room),
    async drain(release, handOff) {
      stopped = 'drain'
      const served = rooms.all()
      // Acks out: what each room applied before the drain is stored and acknowledged first.
      await settle(served)
      // Released before the sockets close, so a client reconnecting at once finds the room free.
      await release()
      handOff?.(served.filter((r) => r.peers.size > 0).map((r) => r.name))
      closeServed('drain')
      await settle(served)
      return served.length
    },
  }
}
