/**
 * @module Epochs: an inbox room rebuilt from its live state into a new document [E2], with the
 * audit history past the horizon moved to the archive on the way (history-archive.ts).
 *
 * This module owns that part of a room's life: when a room starts one (grown past `epochEvery`
 * batches, outgrown when nobody is connected, or asked by an admin), sealing it, and the rebuild.
 */
import { compactInbox } from '@switchboard/core'
import * as Y from 'yjs'
import { createHistoryArchive, archived } from './history-archive.ts'
import type { Metrics } from './metrics.ts'
import { RELAY_WRITER } from './ownership.ts'
import { CloseCode } from '@switchboard/protocol'
import { RELAY_ORIGIN, freshClientId, type Room } from './room.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

/** What starting an epoch did to a room. */
export interface EpochReport {
  room: string
  epoch: string
  previous: string | null
  bytesBefore: number
  bytesAfter: number
  clientsBefore: number
  archived: number
  droppedMarks: number
  ms: number
}

/** The rooms an epoch takes and gives back (the room registry). */
export interface EpochRooms {
  acquire(name: string): Promise<Room>
  unload(room: Room): void
}

export interface EpochDeps {
  storage: RelayStorage
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  now: () => number
  historyHorizonMs: number
  epochEvery: number
  epochOnLoad: { items: number; writers: number }
  rooms: EpochRooms
}

export interface Epochs {
  /** What each room calls: the archive before a compaction, the epoch check after a store. */
  roomHooks: { beforeCompact(room: Room): void; afterStore(room: Room): void }
  /** Rebuilds an inbox room into a new epoch (or joins the rebuild under way). */
  start(name: string): Promise<EpochReport>
  /** The rebuild under way for a room, which opens wait for. */
  running(name: string): Promise<EpochReport> | undefined
  /** Starts an epoch of a room nobody is connected to when it has outgrown; true when it did. */
  startIfOutgrown(room: Room): boolean
  /** The room's latest move of old history to the archive [T6]. */
  historyMove(name: string): Promise<void> | undefined
}

export function createEpochs(deps: EpochDeps): Epochs {
  const { storage, metrics, log, now, historyHorizonMs, epochEvery, epochOnLoad, rooms } = deps
  const archive = createHistoryArchive(deps)
  const sealing = new Map<string, Promise<EpochReport>>()
  /** Rooms whose epoch on load failed: served as they are rather than tried at every open. */
  const failedOnLoad = new Set<string>()

  /** A loaded inbox room that should start a new epoch before it is served. */
  function outgrown(room: Room): boolean {
    if (!room.name.startsWith('inbox:') || failedOnLoad.has(room.name)) return false
    const { clients } = room.doc.store
    if (epochOnLoad.writers > 0 && clients.size >= epochOnLoad.writers) return true
    let structs = 0
    clients.forEach((list) => (structs += list.length))
    return epochOnLoad.items > 0 && structs >= epochOnLoad.items
  }

  function start(name: string): Promise<EpochReport> {
    const running = sealing.get(name)
    if (running) return running
    const task = run(name).finally(() => sealing.delete(name))
    sealing.set(name, task)
    return task
  }

  /**
   * Seal the room (no more writes), close its sockets with 4409 so replicas adopt the epoch, wait
   * until everything is stored, build the live state into a fresh document, store snapshot +
   * epoch + archive atomically, unload. Joins and relay writes wait and then load the new epoch.
   */
  async function run(name: string): Promise<EpochReport> {
    const started = performance.now()
    if (!name.startsWith('inbox:')) throw new Error(`only inbox rooms have epochs: ${name}`)
    const room = await rooms.acquire(name)
    try {
      room.seal()
      for (const peer of [...room.peers])
        peer.close(CloseCode.EpochChanged, 'room started a new epoch: adopt it')
      while (!room.settled) await room.durable().catch(() => {})
      await room.durable()
      // A compaction stored after the epoch would bring the old epoch's snapshot back.
      await room.compacted()
      if (room.failed) throw new Error(`room ${name} failed; no epoch started`)
      const bytesBefore = Y.encodeStateAsUpdate(room.doc).byteLength
      const epoch = `e${now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`
      const retired = new Set(room.retired)
      for (const client of room.doc.store.clients.keys()) retired.add(client)
      const built = compactInbox(room.doc, {
        epoch,
        historySince: now() - historyHorizonMs,
        now: now(),
        // The new document's writer must be new to the room.
        clientID: freshClientId(retired),
        origin: RELAY_ORIGIN,
      })
      const snapshot = Y.encodeStateAsUpdate(built.doc)
      storage.bindClient(name, built.doc.clientID, RELAY_WRITER)
      await storage.startEpoch(name, {
        id: epoch,
        retired: [...retired],
        snapshot,
        upToId: room.lastStoredId,
        archive: built.archived.map(archived),
      })
      const report: EpochReport = {
        room: name,
        epoch,
        previous: room.epoch,
        bytesBefore,
        bytesAfter: snapshot.byteLength,
        clientsBefore: room.doc.store.clients.size,
        archived: built.archived.length,
        droppedMarks: built.droppedMarks,
        ms: Math.round(performance.now() - started),
      }
      built.doc.destroy()
      rooms.unload(room)
      metrics.compactions++
      log({ level: 'info', msg: 'epoch started', ...report })
      return report
    } catch (err) {
      // Sealed but not rebuilt: drop it from memory; the next open loads what is stored.
      rooms.unload(room)
      throw err
    }
  }

  return {
    roomHooks: {
      beforeCompact: archive.beforeCompact,
      afterStore(room) {
        if (epochEvery > 0 && room.storedSinceLoad >= epochEvery && room.name.startsWith('inbox:'))
          if (!sealing.has(room.name) && !room.sealed)
            start(room.name).catch((err: unknown) =>
              log({ level: 'warn', msg: 'epoch failed', room: room.name, err: String(err) }),
            )
      },
    },
    start,
    running: (name) => sealing.get(name),
    startIfOutgrown(room) {
      if (room.sealed || sealing.has(room.name) || !outgrown(room)) return false
      start(room.name).catch((err: unknown) => {
        failedOnLoad.add(room.name)
        log({
          level: 'warn',
          msg: 'epoch of an outgrown room failed',
          room: room.name,
          err: String(err),
        })
      })
      return true
    },
    historyMove: archive.moveOf,
  }
}
