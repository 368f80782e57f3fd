/**
 * @module The rooms in memory: loaded once however many open them at once, served only in their
 * current epoch, unloaded a while after their last socket left.
 */
import type * as Y from 'yjs'
import type { Epochs } from './epochs.ts'
import type { Metrics } from './metrics.ts'
import { RoomSealedError, type Room } from './room.ts'

export interface RoomRegistryDeps {
  load(name: string): Promise<Room>
  metrics: Metrics
  roomIdleMs: number
  epochs: Pick<Epochs, 'running' | 'startIfOutgrown'>
}

export interface RoomRegistry {
  /** The room as it is in memory, loaded if it is not (or failed); no epoch check. */
  acquire(name: string): Promise<Room>
  /** The room to serve: any epoch under way (or due on load) finished first. */
  open(name: string): Promise<Room>
  unload(room: Room): void
  /** Unloads the room once it has been without sockets for `roomIdleMs`. */
  scheduleIdle(room: Room): void
  /** Runs `fn` on a room's document as the relay; resolves once the change is durable. */
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** Reads a room's document as it is in memory (loaded if it is not); writes nothing. */
  readRoom<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>
  loaded(): string[]
  /** True unless the room is in memory and has not failed (its batches are being stored). */
  unsound(name: string): boolean
  /**
   * True while `name` is in memory (not failed) or being loaded: on a shared store this relay
   * holds the room's claim, or is taking it.
   */
  holds(name: string): boolean
  /** The rooms in memory now. */
  all(): Room[]
  readonly size: number
  /** Stops idle unloads, waits for loads and stores in flight, unloads every room. */
  close(): Promise<void>
}

export function createRoomRegistry(deps: RoomRegistryDeps): RoomRegistry {
  const { load, metrics, roomIdleMs, epochs } = deps
  const rooms = new Map<string, Room>()
  const loading = new Map<string, Promise<Room>>()
  const checkedOnLoad = new WeakSet<Room>()
  let closing = false

  function acquire(name: string): Promise<Room> {
    const room = rooms.get(name)
    if (room && !room.failed) return Promise.resolve(room)
    // A failed room's batches in flight are stored (or refused) before the log is read again.
    const before = room ? room.durable().catch(() => {}) : Promise.resolve()
    if (room) unload(room)
    let pending = loading.get(name)
    if (!pending) {
      pending = before
        .then(() => load(name))
        .then((r) => {
          rooms.set(name, r)
          metrics.roomsLoaded = rooms.size
          return r
        })
        .finally(() => loading.delete(name))
      loading.set(name, pending)
    }
    return pending
  }

  async function open(name: string): Promise<Room> {
    const sealed = epochs.running(name)
    if (sealed) {
      await sealed.catch(() => {})
      return open(name)
    }
    const room = await acquire(name)
    if (!checkedOnLoad.has(room)) {
      checkedOnLoad.add(room)
      if (room.peers.size === 0) epochs.startIfOutgrown(room)
    }
    // Started above or by another opener: everyone waits for the new epoch.
    if (epochs.running(name)) return open(name)
    return room
  }

  function unload(room: Room) {
    if (rooms.get(room.name) === room) rooms.delete(room.name)
    room.destroy()
    metrics.roomsLoaded = rooms.size
  }

  function scheduleIdle(room: Room) {
    if (room.peers.size > 0 || closing) return
    if (room.idleTimer) clearTimeout(room.idleTimer)
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null
      if (room.peers.size > 0) return
      if (!room.settled) return scheduleIdle(room)
      // Nobody is connected: the moment to rebuild an outgrown room without closing a socket
      // (the epoch unloads it when done).
      if (epochs.startIfOutgrown(room)) return
      unload(room)
    }, roomIdleMs)
    room.idleTimer.unref?.()
  }

  async function writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void> {
    const room = await open(name)
    try {
      await room.transact(fn)
    } catch (err) {
      // The room began a new epoch between opening and writing: write into the new one.
      if (err instanceof RoomSealedError) return writeRoom(name, fn)
      throw err
    } finally {
      scheduleIdle(room)
    }
  }

  async function readRoom<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> {
    const room = await open(name)
    try {
      return fn(room.doc)
    } finally {
      scheduleIdle(room)
    }
  }

  return {
    acquire,
    open,
    unload,
    scheduleIdle,
    writeRoom,
    readRoom,
    loaded: () => [...rooms.keys()].sort(),
    unsound: (name) => rooms.get(name)?.failed ?? true,
    all: () => [...rooms.values()],
    get size() {
      return rooms.size
    },
    holds(name) {
      const room = rooms.get(name)
      return (room !== undefined && !room.failed) || loading.has(name)
    },
    async close() {
      closing = true
      await Promise.allSettled([...loading.values()])
      await Promise.allSettled([...rooms.values()].map((r) => r.durable()))
      for (const room of [...rooms.values()]) unload(room)
    },
  }
}
