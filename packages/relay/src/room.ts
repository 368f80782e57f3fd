/**
 * @module One room = one Y.Doc held in memory while anyone uses it.
 *
 * Durable before visible: every change to the document — a client's update or the relay's own
 * write — is captured from the doc's `update` event into a batch. The batch is closed at the end
 * of the event-loop turn (so updates arriving together become one merged update and one frame),
 * appended to storage, and only once storage resolves is it broadcast and acknowledged. Replies
 * to a joining client (its sync step 1 and step 2) are computed at once but sent only when
 * everything they describe is durable, so no client ever sees state a crash could lose.
 *
 * Its parts: durable-batch.ts (batch, store, ack), broadcast.ts, sync-handshake.ts (answers to a
 * joiner), apply-update.ts (a client update and the tripwire), presence.ts (awareness),
 * cold-join-cache.ts, compaction.ts (when and how the log becomes a snapshot), epoch-staleness.ts.
 */
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { ackedClients } from './acks.ts'
import { applyAdmitted, type ApplyChecks } from './apply-update.ts'
import type { AwarenessResult } from './awareness-gate.ts'
import { broadcast } from './broadcast.ts'
import { ColdJoinCache, coldFromStore } from './cold-join-cache.ts'
import { Compactor, type CompactorDeps } from './compaction.ts'
import type { DeleteSet } from './delete-sets.ts'
import { atEndOfTurn, DurableBatches, type StoredBatch } from './durable-batch.ts'
import { freshClientId, staleStateVector, staleUpdate } from './epoch-staleness.ts'
import type { DecodedUpdate } from './merge.ts'
import type { Metrics } from './metrics.ts'
import { ClientOwners } from './ownership.ts'
import type { Peer } from './peer.ts'
import { RoomPresence } from './presence.ts'
import { CloseCode, encodeSyncStep1, type RawAwarenessEntry } from '@switchboard/protocol'
import type { RelayStorage, StoredRoom } from './storage/relay-storage.ts'
import { docFromStore, logSizeOf } from './stored-room.ts'
import { isFenced } from './storage/storage-error.ts'
import { SyncHandshake } from './sync-handshake.ts'

export type { ApplyChecks } from './apply-update.ts'
export type { AwarenessResult } from './awareness-gate.ts'
export { freshClientId } from './epoch-staleness.ts'
export type { Peer, SharedFrame } from './peer.ts'

/** The origin of the relay's own writes (webhook ingestion, workspace admin, demo seed). */
export const RELAY_ORIGIN = Symbol('switchboard-relay')

export { RELAY_WRITER } from './ownership.ts'

/** What a room needs; the compaction settings are documented on CompactorDeps. */
export interface RoomDeps extends Pick<
  CompactorDeps,
  'compactEvery' | 'compactQuietMs' | 'offThreadSnapshotBytes'
> {
  storage: RelayStorage
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  /** Relay writes to make just before a compaction (e.g. pruning old audit history). */
  beforeCompact?: (room: Room) => void
  /** Called after each stored batch (e.g. to start a new epoch once the room has grown). */
  afterStore?: (room: Room) => void
}

/** Thrown by `transact` on a room being rebuilt into a new epoch: open the room again. */
export class RoomSealedError extends Error {
  constructor(room: string) {
    super(`room ${room} is starting a new epoch`)
    this.name = 'RoomSealedError'
  }
}

export class Room {
  readonly name: string
  readonly doc: Y.Doc
  readonly peers = new Set<Peer>()
  idleTimer: ReturnType<typeof setTimeout> | null = null
  #deps: RoomDeps
  #batches: DurableBatches
  #cold: ColdJoinCache
  #compactor: Compactor
  #handshake: SyncHandshake
  #presence: RoomPresence
  #failed: unknown = null
  #destroyed = false
  #sealed = false
  /** The epoch the stored snapshot starts (null: never rebuilt). */
  epoch: string | null = null
  /** Client ids of older epochs [E4]. */
  retired: Set<number> = new Set()
  /** Batches stored since this room was loaded. */
  storedSinceLoad = 0
  /** Who may write under each of the room's Yjs client ids [M8]. */
  readonly clientOwners: ClientOwners

  private constructor(name: string, doc: Y.Doc, deps: RoomDeps, stored: StoredRoom) {
    this.name = name
    this.doc = doc
    this.#deps = deps
    this.clientOwners = new ClientOwners(deps.storage, name)
    const { storage, metrics, beforeCompact } = deps
    this.#batches = new DurableBatches(
      {
        name,
        failure: () => this.#failed,
        stored: (batch) => this.#stored(batch),
        afterStored: () => this.#afterStored(),
        // A fenced room moved to another relay: its sockets reconnect and are routed there.
        storeFailed: (err) => this.fail(err, isFenced(err) ? CloseCode.Reloading : undefined),
      },
      storage,
      metrics,
      stored.updates.at(-1)?.id ?? 0,
    )
    this.#cold = new ColdJoinCache(coldFromStore(stored.snapshot, stored.updates))
    this.#compactor = new Compactor(
      this,
      {
        ...deps,
        beforeCompact: beforeCompact && (() => beforeCompact(this)),
        cold: this.#cold,
        logError: (msg, err) => this.#logError(msg, err),
      },
      logSizeOf(stored),
    )
    this.#presence = new RoomPresence(doc, this.peers)
    this.#handshake = new SyncHandshake({
      doc,
      whenDurable: (fn) => this.#whenDurable(fn),
      coldFrames: (use) => this.#cold.frames(this.#compactor, use),
    })
    doc.on('update', this.#onDocUpdate)
  }

  /** The room's presence (made on first use). */
  get awareness(): Awareness {
    return this.#presence.awareness
  }

  /** Loads a room from storage; rejects with StorageError('unreadable') rather than start empty. */
  static async load(name: string, deps: RoomDeps): Promise<Room> {
    const stored = await deps.storage.loadRoom(name)
    const doc = docFromStore(name, stored)
    const room = new Room(name, doc, deps, stored)
    if (stored.epoch) {
      room.epoch = stored.epoch.id
      room.retired = new Set(stored.epoch.retired)
      // The relay writes as a client id no replica of an older epoch knows [E4].
      doc.clientID = freshClientId(room.retired, doc.clientID)
    }
    return room
  }

  /** The id of the last stored log entry (everything up to it is in the document). */
  get lastStoredId(): number {
    return this.#batches.lastStoredId
  }

  get sealed(): boolean {
    return this.#sealed
  }

  /** No more writes: the room is being rebuilt into a new epoch and will be unloaded. */
  seal(): void {
    this.#sealed = true
  }

  /** True when a state vector names a client id of an older epoch [E4]. */
  staleStateVector(stateVector: Uint8Array): boolean {
    return staleStateVector(this.retired, stateVector)
  }

  /** True when an update carries or refers to structs of an older epoch [E4]. */
  staleUpdate(
    update: Uint8Array,
    decoded: ReturnType<typeof Y.decodeUpdate> = Y.decodeUpdate(update),
  ): boolean {
    return staleUpdate(this.retired, decoded)
  }

  /** Client ids with structs in `structs` that the document does not have yet. */
  newClients(structs: readonly (Y.Item | Y.GC | Y.Skip)[]): number[] {
    const clients: number[] = []
    for (const s of structs) {
      const client = s.id.client
      if (clients.includes(client)) continue
      if (Y.getState(this.doc.store, client) < s.id.clock + s.length) clients.push(client)
    }
    return clients
  }

  get failed(): boolean {
    return this.#failed !== null
  }

  /** True when nothing is waiting to be stored. */
  get settled(): boolean {
    return this.#batches.settled
  }

  /** Resolves once every change currently in the document is durable. */
  durable(): Promise<void> {
    return this.#batches.durable()
  }

  /**
   * The relay writes as its own peer (`fn` passes RELAY_ORIGIN to core); resolves once the write
   * is durable and broadcast. Not wrapped in an outer transaction: core reads derived state
   * after its own transactions (e.g. ingestActivity's `reopened`).
   */
  transact(fn: (doc: Y.Doc) => void): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed)
    if (this.#sealed) return Promise.reject(new RoomSealedError(this.name))
    fn(this.doc)
    return this.durable()
  }

  join(peer: Peer): void {
    this.peers.add(peer)
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    const step1 = encodeSyncStep1(Y.encodeStateVector(this.doc))
    const awareness = this.#presence.frame()
    this.#whenDurable(() => {
      peer.send(step1)
      if (awareness) peer.send(awareness)
    })
  }

  leave(peer: Peer): void {
    this.#handshake.forget(peer)
    if (!this.peers.delete(peer)) return
    this.#presence.leave(peer)
  }

  /** Sync step 1 from a client: answer with what it lacks, once that is durable (SyncHandshake). */
  syncStep1(peer: Peer, stateVector: Uint8Array): void {
    this.#handshake.step1(peer, stateVector)
  }

  /**
   * The client's sync step 2 (after it was applied, or found to add nothing), with its delete
   * set: releases a held step 2 answer.
   */
  clientStep2(peer: Peer, ds: DeleteSet): void {
    this.#handshake.step2(peer, ds)
  }

  /**
   * Applies an admitted client update; acknowledges it to `ack=1` sockets once durable, for each
   * client id with structs in it. `structs` and `ds` are `Y.decodeUpdate(update)`'s when the
   * caller already decoded it (then the update is not parsed again). With `checks.admitted`, a
   * deletion the admission did not predict, or an apply that throws, stores and broadcasts
   * nothing: the room closes its sockets and reloads from its log [M8]; returns false then.
   */
  applyUpdate(
    peer: Peer,
    update: Uint8Array,
    structs?: readonly (Y.Item | Y.GC | Y.Skip)[],
    ds?: DeleteSet,
    checks: ApplyChecks = {},
  ): boolean {
    this.#deps.metrics.updatesIn++
    const { admitted } = checks
    const applied = applyAdmitted(this.doc, this.#onDocUpdate, peer, update, structs, ds, admitted)
    if (!applied.ok) {
      this.fail(new Error(applied.failure), CloseCode.Reloading, peer)
      return false
    }
    if (applied.added) this.#capture(applied.added, peer, applied.decoded)
    if (applied.relayWrote) this.#onDocUpdate(applied.relayWrote, null)
    if (!peer.wantsAcks) return true
    const clients = ackedClients(update, checks.acked ?? structs)
    this.#batches.ack(peer, clients, (client) => Y.getState(this.doc.store, client))
    return true
  }

  /** True when a decoded update adds nothing to the document (see SyncHandshake.addsNothing). */
  addsNothing(decoded: { structs: readonly Y.AbstractStruct[]; ds: DeleteSet }): boolean {
    return this.#handshake.addsNothing(decoded)
  }

  /**
   * Awareness from a socket, through the presence gate (awareness-gate.ts): only its own
   * clientID, stamped with the authenticated member, its state at most `maxStateBytes` of JSON
   * (0: no cap) [L5], a device id in it bound to the member or removed [L2].
   */
  applyAwareness(
    peer: Peer,
    update: Uint8Array | readonly RawAwarenessEntry[],
    maxStateBytes = 0,
  ): AwarenessResult {
    return this.#presence.apply(peer, update, maxStateBytes)
  }

  queryAwareness(peer: Peer): void {
    const frame = this.#presence.frame()
    if (frame) peer.send(frame)
  }

  /**
   * Storage failed under this room, or its document took a change it must not keep: its memory
   * may hold what the disk does not; drop it all (the registry loads the room again from its log).
   * `except` is the socket the caller closes itself.
   */
  fail(err: unknown, code: CloseCode = CloseCode.Unreadable, except?: Peer): void {
    if (this.#failed) return
    this.#failed = err
    const what =
      code === CloseCode.Unreadable
        ? 'room storage failed'
        : isFenced(err)
          ? 'room moved to another relay'
          : 'room reloading'
    this.#logError(what, err, 'error')
    for (const peer of [...this.peers]) if (peer !== except) peer.close(code, what)
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.#compactor.stop()
    this.doc.off('update', this.#onDocUpdate)
    this.#presence.destroy()
    this.doc.destroy()
  }

  /** Resolves once no compaction is being built or stored (an epoch must not race one). */
  compacted(): Promise<void> {
    return this.#compactor.done()
  }

  #whenDurable(fn: () => void): void {
    this.durable().then(fn, () => {})
  }

  #onDocUpdate = (update: Uint8Array, origin: unknown): void => this.#capture(update, origin, null)

  #capture(update: Uint8Array, origin: unknown, decoded: DecodedUpdate | null): void {
    this.#handshake.changed()
    // The relay's own writes: its client id is never writable by members [M8] (`foreign` refuses
    // it in memory at once); the binding is stored in the commit of the batch that first uses it.
    if (!this.peers.has(origin as Peer)) this.clientOwners.bindRelay(this.doc.clientID, atEndOfTurn)
    this.#batches.add(update, origin, decoded)
  }

  /** A batch is stored: every socket is sent it, and it follows the cold-join answer. */
  #stored(batch: StoredBatch): void {
    this.#compactor.appended(batch.update.byteLength)
    broadcast(this.peers, batch, this.#deps.metrics)
    this.#cold.stored(batch.frame)
    this.#compactor.stored(batch.frame)
  }

  #afterStored(): void {
    this.storedSinceLoad++
    this.#compactor.maybeCompact()
    this.#deps.afterStore?.(this)
  }

  #logError(msg: string, err: unknown, level: 'warn' | 'error' = 'warn'): void {
    this.#deps.log({ level, msg, room: this.name, err: String(err) })
  }
}
