/**
 * @module The open rooms of a replica: each opened once, connected while the replica wants to be
 * online and the room was not stopped (by a close code) or revoked (4403), and released when
 * its last handle closes. What a socket's close means is `close-reactions.ts`'s to say.
 */
import { ErrorCode, SwitchboardError } from './errors.ts'
import type { PendingLedger } from './ledger.ts'
import type { Presence } from './presence.ts'
import { isRelayFailure, RelayList } from './relays.ts'
import { socketServer } from './room-provider.ts'
import { RoomReplica, type RoomContext } from './room.ts'
import type { Session } from './session.ts'
import type { SyncStatus } from './status.ts'

export interface RoomRegistryOptions {
  ctx: RoomContext
  /** The relays; every room's socket goes to the current one (`<wsBase>/<room>`). */
  relays: RelayList
  WebSocket: unknown
  /** A socket not open after this long is closed and counts as a failed connection (0: never). */
  connectTimeoutMs: number
  session: Session
  status: SyncStatus
  presence: Presence
  ledger: PendingLedger
  /** Reacts to a room's socket closing; true lets y-websocket reconnect with backoff. */
  onClose(name: string, event: CloseEvent): boolean
}

export class RoomRegistry {
  /** Rooms a close code stopped, until `connect()` is called again. */
  readonly stopped = new Set<string>()
  /** Rooms the relay said this member may no longer read (4403): dropped, not reopened [R4]. */
  readonly revoked = new Set<string>()
  /** True once every room is destroyed with the replica. */
  destroyed = false
  private readonly rooms = new Map<string, RoomReplica>()
  private readonly o: RoomRegistryOptions

  constructor(options: RoomRegistryOptions) {
    this.o = options
    options.relays.onMove(() => this.follow())
  }

  get(name: string): RoomReplica | undefined {
    return this.rooms.get(name)
  }

  has(name: string): boolean {
    return this.rooms.has(name)
  }

  names(): string[] {
    return [...this.rooms.keys()]
  }

  all(): RoomReplica[] {
    return [...this.rooms.values()]
  }

  /** The open rooms meant to sync: those no close code stopped. */
  live(): RoomReplica[] {
    return this.all().filter((r) => !this.stopped.has(r.name))
  }

  /** The room's replica, opened (loaded from storage, then connected) on first use. */
  open(name: string): RoomReplica {
    let r = this.rooms.get(name)
    if (!r) {
      r = new RoomReplica(name, this.o.ctx)
      this.rooms.set(name, r)
      r.onChange(() => this.o.status.notify())
      r.loaded.catch((e) =>
        this.o.status.fail(
          new SwitchboardError(ErrorCode.Storage, `cannot load ${name}: ${e}`, { cause: e }),
        ),
      )
      this.o.presence.attach(r)
      this.connect(r)
    }
    return r
  }

  /** A conversation room closes when its last handle does, once nothing of it is pending. */
  release(name: string): void {
    const r = this.rooms.get(name)
    if (!r || --r.refs > 0 || !name.startsWith('conversation:')) return
    if (this.o.ledger.clientsIn(name).length > 0) return
    this.rooms.delete(name)
    void r.destroy()
  }

  /** Closes a room at once (an inbox no longer shared), whatever is pending in it. */
  close(name: string): void {
    const r = this.rooms.get(name)
    this.rooms.delete(name)
    this.stopped.delete(name)
    void r?.destroy()
  }

  /** Closes a room and waits until its replica is destroyed (its data is about to be cleared). */
  async remove(name: string): Promise<void> {
    const r = this.rooms.get(name)
    this.rooms.delete(name)
    this.stopped.delete(name)
    if (r) await r.destroy()
  }

  connect(room: RoomReplica): void {
    const { session, status } = this.o
    if (!this.wantsSocket(room.name) || this.revoked.has(room.name)) return
    if (!this.o.WebSocket) {
      status.fail(
        new SwitchboardError(ErrorCode.Unavailable, 'no WebSocket implementation available'),
      )
      return
    }
    void room.loaded.then(() => {
      if (!this.wantsSocket(room.name)) return
      const { relays } = this.o
      room.connect({
        serverUrl: () => relays.wsBase,
        params: session.socketParams(),
        WebSocket: this.o.WebSocket,
        connectTimeoutMs: this.o.connectTimeoutMs,
        shouldReconnect: (event: CloseEvent, server: string) => {
          if (isRelayFailure(event.code)) relays.failed(RelayList.httpBase(server))
          return this.o.onClose(room.name, event)
        },
        onOpen: (server) => relays.succeeded(RelayList.httpBase(server)),
      })
    })
  }

  connectAll(): void {
    for (const r of this.rooms.values()) this.connect(r)
  }

  disconnectAll(): void {
    for (const r of this.rooms.values()) r.disconnect()
  }

  /**
   * The replica moved to another relay: every socket still open (or opening) on the one it left
   * moves too, so one replica's rooms never split over relays, and one the relay left closed
   * (waiting out its backoff) opens on the new one at once. Changes this device has not had
   * acknowledged are sent again by the sync step on the new socket (Yjs skips what is known).
   */
  private follow(): void {
    const target = this.o.relays.wsBase
    for (const r of this.rooms.values())
      for (const p of r.providers) {
        const on = socketServer(p)
        if (on === target) continue
        if (on === undefined) {
          if (p.shouldConnect && !this.stopped.has(r.name)) p.connect()
          continue
        }
        p.disconnect()
        p.connect()
      }
  }

  /** New socket parameters (a new token) for each room's next connect. */
  setParams(params: Record<string, string>): void {
    for (const r of this.rooms.values()) if (r.provider) r.provider.params = params
  }

  /** Stops a room until `connect()`: its socket closed with a code that retrying cannot help. */
  stop(name: string): void {
    this.stopped.add(name)
  }

  /** Stops every room until `connect()` (this device's id is refused everywhere). */
  stopAll(): void {
    for (const r of this.rooms.values()) this.stopped.add(r.name)
  }

  /** An error whenSynced cannot get past: the session's, or a stopped room's that is still open. */
  blocking(e: SwitchboardError): boolean {
    if (e.room === undefined) return e.code !== ErrorCode.Storage
    return this.stopped.has(e.room) && this.rooms.has(e.room)
  }

  /** Destroys every room (their pending writes land first). */
  async destroyAll(): Promise<void> {
    for (const r of this.rooms.values()) await r.destroy()
    this.destroyed = true
  }

  clear(): void {
    this.rooms.clear()
  }

  private wantsSocket(name: string): boolean {
    return this.o.session.wantsOnline && !this.destroyed && !this.stopped.has(name)
  }
}
