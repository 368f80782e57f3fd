/**
 * @module One room = one Y.Doc held in memory while anyone uses it.
 *
 * Durable before visible: every change to the document — a client's update or the relay's own
 * write — is captured from the doc's `update` event into a batch. The batch is closed at the end
 * of the event-loop turn (so updates arriving together become one merged update and one frame),
 * appended to storage, and only once storage resolves is it broadcast and acknowledged. Replies
 * to a joining client (its sync step 1 and step 2) are computed at once but sent only when
 * everything they describe is durable, so no client ever sees state a crash could lose.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { unpredictedDeletion, type Admitted } from '@switchboard/core'
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import { mergeDecoded, writeDeleteSet, type DecodedUpdate } from './merge.ts'
import type { Metrics } from './metrics.ts'
import {
  CloseCode,
  decodeAwarenessRaw,
  parseAwarenessState,
  encodeAck,
  encodeAwareness,
  encodeAwarenessEntries,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type AwarenessEntry,
  type RawAwarenessEntry,
} from '@switchboard/protocol'
import type { BuiltSnapshot, RelayStorage } from './storage/relay-storage.ts'
import { StorageError } from './storage/relay-storage.ts'

/** A connection, as a room sees it. */
export interface Peer {
  readonly memberId: string
  readonly memberName: string
  readonly wantsAcks: boolean
  /** The awareness clientID this socket announced first; the only one it may set. */
  awarenessClientId: number | null
  /**
   * `answer`: the frame answers the client's own sync step 1 (a cold join's whole state). Its
   * bytes do not count against the socket's slow-consumer bound while they drain, so a frame
   * broadcast meanwhile does not close a client that is merely receiving a big room.
   */
  send(frame: Uint8Array, answer?: boolean): void
  /**
   * The same frame to many sockets (a broadcast; null: none for this socket), then `own`, frames
   * for this socket alone (its acks), in one write: each write to a socket is a system call, and
   * every ack paid one. `once` is shared by every call of that broadcast, so the transport can
   * put the frame in its wire format once for all of them.
   */
  sendShared?(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void
  close(code: number, reason: string): void
  /**
   * Binds a device id this socket announces in its presence to its member, if unbound [L2];
   * false when it is another member's (or not an id), and the presence goes without it.
   */
  claimDevice?(deviceId: string): boolean
}

/** What `Room.applyAwareness` did with an awareness update. */
export interface AwarenessResult {
  /** Entries for other sockets' ids that were not echoes (spoofs), dropped. */
  dropped: number
  /** The byte size of the socket's own state when it is over the cap: nothing was applied. */
  oversized: number | null
  /** Device ids of another member the state announced, removed from it. */
  foreignDevices: number
}

/** A broadcast frame's wire form, made by the first socket that needs it (see Peer.sendShared). */
export interface SharedFrame {
  wire?: Uint8Array
}

/** The origin of the relay's own writes (webhook ingestion, workspace admin, demo seed). */
export const RELAY_ORIGIN = Symbol('switchboard-relay')

/** The owner recorded for the relay's own Yjs client ids (never a member id) [M8]. */
export const RELAY_WRITER = '\u0000relay'

export interface RoomDeps {
  storage: RelayStorage
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  /** Compact the log into a snapshot after this many stored batches. */
  compactEvery: number
  /**
   * A due compaction waits until no batch was stored for this long (0: compacts at once), unless
   * the log has grown past the snapshot's own size: a snapshot costs the room's appends either
   * way (encoded here, a small room, or by a store without a builder; or a big room's build CPU
   * and its parts written between the appends), so a busy room compacts in its next pause.
   */
  compactQuietMs?: number
  /**
   * A room whose snapshot and log together reach this many bytes has its snapshot built by the
   * store off the event loop (when the store can, `RelayStorage.buildSnapshot`).
   */
  offThreadSnapshotBytes?: number
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

/** What `Room.applyUpdate` holds an admitted update to. */
export interface ApplyChecks {
  /** The admission whose predicted deletions the apply must stay within (the tripwire [M8]). */
  admitted?: Admitted
  /** Structs whose client ids are acknowledged: the received update's, before it was trimmed. */
  acked?: readonly { id: Y.ID }[]
}

interface Batch {
  updates: Uint8Array[]
  /** Each update as the relay decoded it when it applied whole (null: from a Yjs event). */
  decoded: (DecodedUpdate | null)[]
  origins: Set<unknown>
  /** Acks owed once the batch is stored: per socket, the newest clock of each client id. */
  acks: Map<Peer, Map<number, number>>
  done: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

interface ColdCache {
  frames: Uint8Array[]
  bytes: number
  baseBytes: number
}

/** Batches stored while a snapshot is built (see #compact). */
interface SinceCompaction {
  frames: Uint8Array[]
  bytes: number
  overflow: boolean
}

/** A cold-join cache is rebuilt past this many frames after its base, or this fraction of it. */
const COLD_MAX_FRAMES = 256
const COLD_MAX_GROWTH = 0.25
const COMPACT_MIN_GROWTH = 0.25
/** Encoding a room of this size takes a few ms; bigger ones are built off the event loop. */
const OFF_THREAD_SNAPSHOT_BYTES = 256 * 1024
/** Past this growth (log bytes over snapshot bytes) a due compaction no longer waits for a pause. */
const COMPACT_BUSY_GROWTH = 1

/** How long a step 2 answer waits for the client's delete set before sending the full one. */
const HOLD_STEP2_MS = 2000

type DeleteSet = ReturnType<typeof Y.createDeleteSetFromStructStore>
type DeleteRange = { clock: number; len: number }

/** The ranges in clock order: as they are when already so (Yjs writes them sorted), else a copy. */
function inClockOrder(ranges: readonly DeleteRange[]): readonly DeleteRange[] {
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i]!.clock < ranges[i - 1]!.clock)
      return ranges.slice().sort((a, b) => a.clock - b.clock)
  return ranges
}

/** Ranges deleted in `have` that `known` does not list as deleted (either side in any order). */
export function subtractDeleteSets(have: DeleteSet, known: DeleteSet): Map<number, DeleteRange[]> {
  const missing = new Map<number, DeleteRange[]>()
  for (const [client, ranges] of have.clients as Map<number, DeleteRange[]>) {
    const theirs = inClockOrder((known.clients as Map<number, DeleteRange[]>).get(client) ?? [])
    const out: DeleteRange[] = []
    let j = 0
    for (const r of inClockOrder(ranges)) {
      let start = r.clock
      const end = r.clock + r.len
      while (j < theirs.length && theirs[j]!.clock + theirs[j]!.len <= start) j++
      let k = j
      while (start < end) {
        const t = theirs[k]
        if (!t || t.clock >= end) {
          out.push({ clock: start, len: end - start })
          break
        }
        if (t.clock > start) out.push({ clock: start, len: t.clock - start })
        start = Math.max(start, t.clock + t.len)
        k++
      }
    }
    if (out.length > 0) missing.set(client, out)
  }
  return missing
}

/** A Yjs v1 update with no structs and the given deletions. */
export function encodeDeletionsOnlyUpdate(deletions: Map<number, DeleteRange[]>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  writeDeleteSet(e, [...deletions])
  return encoding.toUint8Array(e)
}

/**
 * True when applying a decoded update to `doc` integrates every struct and deletion in it at
 * once: each client's structs start exactly at the doc's state for it and follow each other (no
 * gap, nothing the doc already has), every struct they refer to (origin, right origin, parent)
 * is in the doc or in the update, and every deletion falls within what the doc then holds. Then
 * the update's own bytes carry exactly what the doc's `update` event would.
 */
export function integratesWhole(
  doc: Y.Doc,
  structs: readonly (Y.Item | Y.GC | Y.Skip)[],
  ds: DeleteSet,
): boolean {
  if (structs.length === 0) return false
  const end = new Map<number, number>()
  for (const s of structs) {
    if (s instanceof Y.Skip) return false
    const client = s.id.client
    const expected = end.get(client) ?? Y.getState(doc.store, client)
    if (s.id.clock !== expected) return false
    end.set(client, expected + s.length)
  }
  const known = (id: Y.ID | null) =>
    id === null || id.clock < (end.get(id.client) ?? Y.getState(doc.store, id.client))
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue
    if (!known(s.origin) || !known(s.rightOrigin)) return false
    if (s.parent instanceof Y.ID && !known(s.parent)) return false
  }
  for (const [client, ranges] of ds.clients as Map<number, DeleteRange[]>) {
    const limit = end.get(client) ?? Y.getState(doc.store, client)
    for (const r of ranges) if (r.clock + r.len > limit) return false
  }
  return true
}

/** Client ids with structs in an update, in order of first appearance (as Y.parseUpdateMeta). */
export function ackedClients(update: Uint8Array, structs?: readonly { id: Y.ID }[]): number[] {
  if (!structs) return [...Y.parseUpdateMeta(update).to.keys()]
  const clients: number[] = []
  let last = -1
  for (const s of structs) {
    const client = s.id.client
    if (client !== last && !clients.includes(client)) clients.push(client)
    last = client
  }
  return clients
}

/** A random Yjs client id not in `taken` (`preferred` when it is free). */
export function freshClientId(taken: Set<number>, preferred?: number): number {
  let id = preferred ?? (Math.random() * 2 ** 32) >>> 0
  while (taken.has(id)) id = (Math.random() * 2 ** 32) >>> 0
  return id
}

/** A cold-join answer: a sync step 2 base, then the batches stored since it was encoded. */
function coldOf(base: Uint8Array, since: readonly Uint8Array[] = []): ColdCache {
  const cold: ColdCache = { frames: [base], bytes: base.byteLength, baseBytes: base.byteLength }
  for (const frame of since) {
    cold.frames.push(frame)
    cold.bytes += frame.byteLength
  }
  return cold
}

const coldOutgrown = (cold: ColdCache): boolean =>
  cold.frames.length > COLD_MAX_FRAMES ||
  cold.bytes - cold.baseBytes > cold.baseBytes * COLD_MAX_GROWTH

/** A cold-join answer being built off the event loop: who waits, and what was stored since. */
interface ColdBuild {
  since: Uint8Array[]
  waiters: ((frames: Uint8Array[]) => void)[]
}

/**
 * The cold-join cache of a room just loaded, from the stored bytes themselves: the snapshot is
 * the encoded state at its compaction, and the log entries after it are what a live room would
 * have appended to its cache since. Saves encoding the whole document again on the first cold
 * join after a restart (~0.4 s for a 40 MB room). None when there is no snapshot or the log is
 * past the bound a live cache keeps (see #extendCold).
 */
function coldFromStore(
  snapshot: Uint8Array | null,
  updates: readonly { data: Uint8Array }[],
): ColdCache | null {
  if (!snapshot || updates.length + 1 > COLD_MAX_FRAMES) return null
  const cold = coldOf(
    encodeSyncStep2(snapshot),
    updates.map((u) => encodeUpdate(u.data)),
  )
  return coldOutgrown(cold) ? null : cold
}

/** What most sockets of a broadcast are sent besides its frame (none allocated per socket). */
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([])

const ackFrames = (owed: Map<number, number>): Uint8Array[] =>
  [...owed].map(([client, clock]) => encodeAck(client, clock))

function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const done = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  done.catch(() => {})
  return { updates: [], decoded: [], origins: new Set(), acks: new Map(), done, resolve, reject }
}

export class Room {
  readonly name: string
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly peers = new Set<Peer>()
  idleTimer: ReturnType<typeof setTimeout> | null = null
  #deps: RoomDeps
  #batch: Batch | null = null
  #lastDurable: Promise<void> = Promise.resolve()
  #inflight = 0
  #lastStoredId = 0
  #logCount: number
  /** Bytes of the updates stored since the snapshot, and the snapshot's: see #maybeCompact. */
  #logBytes = 0
  #snapshotBytes = 0
  #compacting = false
  #compaction: Promise<void> | null = null
  #framesSinceCompaction: SinceCompaction | null = null
  #coldBuild: ColdBuild | null = null
  #quietTimer: ReturnType<typeof setTimeout> | null = null
  #pruned = false
  #cold: ColdCache | null = null
  /** The document's delete set, kept until the next change (every warm rejoin reads it). */
  #deleteSet: DeleteSet | null = null
  #failed: unknown = null
  #destroyed = false
  #held = new Map<Peer, { timer: ReturnType<typeof setTimeout> }>()
  #sealed = false
  /** The epoch the stored snapshot starts (null: never rebuilt). */
  epoch: string | null = null
  /** Client ids of older epochs [E4]. */
  retired: Set<number> = new Set()
  /** Batches stored since this room was loaded. */
  storedSinceLoad = 0
  #relayBound = false
  #owners = new Map<number, string>()

  private constructor(name: string, doc: Y.Doc, logCount: number, deps: RoomDeps) {
    this.name = name
    this.doc = doc
    this.#deps = deps
    this.#logCount = logCount
    this.awareness = new Awareness(doc)
    this.awareness.setLocalState(null)
    doc.on('update', this.#onDocUpdate)
    this.awareness.on('update', this.#onAwarenessUpdate)
  }

  /** Loads a room from storage; rejects with StorageError('unreadable') rather than start empty. */
  static async load(name: string, deps: RoomDeps): Promise<Room> {
    const stored = await deps.storage.loadRoom(name)
    const doc = new Y.Doc({ gc: true })
    try {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    } catch (cause) {
      doc.destroy()
      throw new StorageError('unreadable', `room ${name}: stored updates cannot be decoded`, {
        cause,
      })
    }
    if (doc.store.pendingStructs || doc.store.pendingDs) {
      doc.destroy()
      throw new StorageError('unreadable', `room ${name}: stored updates have missing parts`)
    }
    const room = new Room(name, doc, stored.updates.length, deps)
    room.#lastStoredId = stored.updates.at(-1)?.id ?? 0
    room.#snapshotBytes = stored.snapshot?.byteLength ?? 0
    for (const u of stored.updates) room.#logBytes += u.data.byteLength
    room.#cold = coldFromStore(stored.snapshot, stored.updates)
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
    return this.#lastStoredId
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
    if (this.retired.size === 0) return false
    for (const client of Y.decodeStateVector(stateVector).keys())
      if (this.retired.has(client)) return true
    return false
  }

  /** True when an update carries or refers to structs of an older epoch [E4]. */
  staleUpdate(
    update: Uint8Array,
    decoded: ReturnType<typeof Y.decodeUpdate> = Y.decodeUpdate(update),
  ): boolean {
    if (this.retired.size === 0) return false
    const retired = this.retired
    const { structs, ds } = decoded
    for (const client of ds.clients.keys()) if (retired.has(client)) return true
    for (const s of structs) {
      if (retired.has(s.id.client)) return true
      if (!(s instanceof Y.Item)) continue
      if (s.origin && retired.has(s.origin.client)) return true
      if (s.rightOrigin && retired.has(s.rightOrigin.client)) return true
      if (s.parent instanceof Y.ID && retired.has(s.parent.client)) return true
    }
    return false
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

  /**
   * A client id among `clients` that `memberId` may not write under: the relay's own, or one
   * bound to another writer of this room [M8]. null when all are free or the member's own.
   */
  foreignClient(memberId: string, clients: readonly number[]): number | null {
    for (const client of clients) {
      if (client === this.doc.clientID) return client
      const owner = this.#ownerOf(client)
      if (owner !== null && owner !== memberId) return client
    }
    return null
  }

  /** Client ids among `clients` not yet known to be bound to `memberId` (what bindClients writes). */
  unboundClients(memberId: string, clients: readonly number[]): number[] {
    return clients.filter((client) => this.#owners.get(client) !== memberId)
  }

  /** Binds client ids to the member writing under them (the first binding stays) [M8]. */
  bindClients(memberId: string, clients: readonly number[]): void {
    for (const client of clients) this.#deps.storage.bindClient(this.name, client, memberId)
  }

  /**
   * Records that `clients` are bound to `memberId`, once the transaction of bindClients committed
   * (the caller checked foreignClient first, so each one's owner is now `memberId`).
   */
  boundClients(memberId: string, clients: readonly number[]): void {
    for (const client of clients) this.#owners.set(client, memberId)
  }

  /**
   * The stored owner of a client id. A binding is written once and never changes [M8], so an
   * owner read or written here is kept for the room's life: a writer's every update used to cost
   * a SELECT and an INSERT OR IGNORE on the event loop (a fifth of the relay's time under load).
   */
  #ownerOf(client: number): string | null {
    const known = this.#owners.get(client)
    if (known !== undefined) return known
    const owner = this.#deps.storage.getClientOwner(this.name, client)
    if (owner !== null) this.#owners.set(client, owner)
    return owner
  }

  get failed(): boolean {
    return this.#failed !== null
  }

  /** True when nothing is waiting to be stored. */
  get settled(): boolean {
    return this.#batch === null && this.#inflight === 0
  }

  /** Resolves once every change currently in the document is durable. */
  durable(): Promise<void> {
    return this.#lastDurable
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
    const states = this.awareness.getStates()
    const awareness =
      states.size > 0
        ? encodeAwareness(encodeAwarenessUpdate(this.awareness, [...states.keys()]))
        : null
    this.#whenDurable(() => {
      peer.send(step1)
      if (awareness) peer.send(awareness)
    })
  }

  leave(peer: Peer): void {
    const held = this.#held.get(peer)
    if (held) clearTimeout(held.timer)
    this.#held.delete(peer)
    if (!this.peers.delete(peer)) return
    if (peer.awarenessClientId !== null && this.awareness.states.has(peer.awarenessClientId))
      removeAwarenessStates(this.awareness, [peer.awarenessClientId], peer)
  }

  /**
   * Sync step 1 from a client: answer with what it lacks, once that is durable.
   *
   * A cold client (empty state vector) gets the cached encoded state. A client that already has
   * every struct lacks at most some deletions, but plain y-protocols would send it the whole
   * delete set (~186 KB for a room of 1M overwritten marks). So the answer waits for the
   * client's own sync step 2 (its reply to our step 1, carrying its delete set) and sends only
   * the deletions it is missing — usually nothing.
   */
  syncStep1(peer: Peer, stateVector: Uint8Array): void {
    const sv = Y.decodeStateVector(stateVector)
    if (sv.size === 0) {
      return this.#withColdFrames((frames) =>
        this.#whenDurable(() => {
          // The base (the one sync step 2) goes last: y-websocket counts itself synced at a step
          // 2, so `synced` must wait for the batches stored since the base too. Yjs holds those
          // as pending until the base they build on arrives, then integrates them in one call.
          for (let i = 1; i < frames.length; i++) peer.send(frames[i]!, true)
          peer.send(frames[0]!, true)
        }),
      )
    }
    let hasEveryStruct = true
    for (const client of this.doc.store.clients.keys())
      if ((sv.get(client) ?? 0) < Y.getState(this.doc.store, client)) hasEveryStruct = false
    if (hasEveryStruct) {
      const timer = setTimeout(() => this.#releaseStep2(peer, null), HOLD_STEP2_MS)
      this.#held.set(peer, { timer })
      return
    }
    const frame = encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    this.#whenDurable(() => peer.send(frame))
  }

  /**
   * The client's sync step 2 (after it was applied, or found to add nothing), with its delete
   * set: releases a held step 2 answer.
   */
  clientStep2(peer: Peer, ds: DeleteSet): void {
    if (this.#held.has(peer)) this.#releaseStep2(peer, ds)
  }

  #releaseStep2(peer: Peer, clientDeletions: DeleteSet | null): void {
    const held = this.#held.get(peer)
    if (!held) return
    clearTimeout(held.timer)
    this.#held.delete(peer)
    let answer: Uint8Array
    if (clientDeletions) {
      const missing = subtractDeleteSets(this.#deletions(), clientDeletions)
      answer = encodeDeletionsOnlyUpdate(missing)
    } else {
      answer = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(this.doc))
    }
    const frame = encodeSyncStep2(answer)
    this.#whenDurable(() => peer.send(frame))
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
    // Everything in the update integrates at once, so its own bytes are what the doc's `update`
    // event would carry: skip Yjs re-encoding the transaction (which walks every client id of the
    // room) and batch the client's bytes.
    const whole =
      structs !== undefined && ds !== undefined && integratesWhole(this.doc, structs, ds)
    const own = Y.getState(this.doc.store, this.doc.clientID)
    let encoded: Uint8Array | null = null
    let deleted: DeleteSet | null = null
    const onUpdate = (u: Uint8Array) => void (encoded = u)
    const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
    this.doc.off('update', this.#onDocUpdate)
    this.doc.on('afterTransaction', onAfter)
    if (!whole) this.doc.on('update', onUpdate)
    let failure: string | null = null
    try {
      Y.applyUpdate(this.doc, update, peer)
    } catch (err) {
      failure = `the update broke off while applied: ${(err as Error).message}`
    } finally {
      this.doc.off('afterTransaction', onAfter)
      if (!whole) this.doc.off('update', onUpdate)
      this.doc.on('update', this.#onDocUpdate)
    }
    if (failure === null && checks.admitted && deleted) {
      const id = unpredictedDeletion(checks.admitted, deleted)
      if (id !== null) failure = `applying it deleted ${id}, which its admission did not predict`
    }
    // Pending structs would go into every snapshot, and a restart would refuse the room.
    if (failure === null && (this.doc.store.pendingStructs || this.doc.store.pendingDs))
      failure = 'applying it left structs waiting for others'
    if (failure !== null) {
      this.fail(new Error(failure), CloseCode.Reloading, peer)
      return false
    }
    if (whole) this.#capture(update, peer, { structs, ds })
    else if (encoded) this.#capture(encoded, peer, null)
    if (Y.getState(this.doc.store, this.doc.clientID) !== own) {
      // An observer wrote as the relay during the apply (none does today): batch that too.
      const sv = Y.decodeStateVector(Y.encodeStateVector(this.doc))
      sv.set(this.doc.clientID, own)
      this.#onDocUpdate(Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(sv)), null)
    }
    const acked = checks.acked ?? structs
    if (!peer.wantsAcks) return true
    const batch = this.#batch
    if (batch) {
      // Sent with the batch's broadcast (see #broadcast). Acks are cumulative ("every struct
      // below clock is stored"), so of several updates of one client in a batch only the last
      // ack says anything: one is sent.
      let owed = batch.acks.get(peer)
      for (const client of ackedClients(update, acked)) {
        if (!owed) batch.acks.set(peer, (owed = new Map()))
        owed.set(client, Y.getState(this.doc.store, client))
      }
      return true
    }
    // Nothing new to store (e.g. an update the room already had): acked once all before is.
    const acks: Uint8Array[] = []
    for (const client of ackedClients(update, acked))
      acks.push(encodeAck(client, Y.getState(this.doc.store, client)))
    if (acks.length === 0) return true
    this.#whenDurable(() => {
      for (const a of acks) peer.send(a)
      this.#deps.metrics.acksSent += acks.length
    })
    return true
  }

  /**
   * True when a decoded update adds nothing to the document: each struct is already in it and
   * each deletion already made. An up-to-date replica's sync step 2 is such an update: no
   * structs and its whole delete set, which checking and applying item by item cost ~8 ms at
   * 50,000 overwritten marks (against the cached delete set: ranges merged, no item looked up).
   */
  addsNothing({ structs, ds }: { structs: readonly Y.AbstractStruct[]; ds: DeleteSet }): boolean {
    for (const s of structs)
      if (Y.getState(this.doc.store, s.id.client) < s.id.clock + s.length) return false
    return subtractDeleteSets(ds, this.#deletions()).size === 0
  }

  /** The document's deletions, kept until it changes. */
  #deletions(): DeleteSet {
    return (this.#deleteSet ??= Y.createDeleteSetFromStructStore(this.doc.store))
  }

  /**
   * Awareness from a socket: only its own clientID, stamped with the authenticated member, its
   * state at most `maxStateBytes` of JSON (0: no cap) [L5], a device id in it bound to the
   * member or removed [L2].
   */
  applyAwareness(
    peer: Peer,
    update: Uint8Array | readonly RawAwarenessEntry[],
    maxStateBytes = 0,
  ): AwarenessResult {
    const entries = update instanceof Uint8Array ? decodeAwarenessRaw(update) : update
    // y-websocket re-sends every awareness change it receives, so a joining client echoes its
    // teammates' states back, often before announcing its own: ids bound to other sockets are
    // echoes and ignored, and the socket is bound to the first other id with a live state.
    const owned = new Set<number>()
    for (const other of this.peers)
      if (other !== peer && other.awarenessClientId !== null) owned.add(other.awarenessClientId)
    // An echo repeats a clock the relay already has; a newer clock for another socket's id is
    // a spoof, counted as rejected.
    let echoes = 0
    const own: AwarenessEntry[] = []
    for (const e of entries) {
      if (e.clientId !== peer.awarenessClientId && owned.has(e.clientId)) {
        if (e.clock <= (this.awareness.meta.get(e.clientId)?.clock ?? 0)) echoes++
        continue
      }
      if (peer.awarenessClientId !== null && e.clientId !== peer.awarenessClientId) continue
      // Checked before parsing: a 900 KB state costs no JSON parse and reaches no one.
      if (maxStateBytes > 0 && e.json.byteLength > maxStateBytes)
        return { dropped: 0, oversized: e.json.byteLength, foreignDevices: 0 }
      const state = parseAwarenessState(e)
      if (peer.awarenessClientId === null) {
        if (state === null) continue
        peer.awarenessClientId = e.clientId
      }
      own.push({ clientId: e.clientId, clock: e.clock, state })
    }
    let foreignDevices = 0
    const stamped = own.map((e) => {
      if (e.state === null || typeof e.state !== 'object' || Array.isArray(e.state))
        return { ...e, state: null }
      const state: Record<string, unknown> = {
        ...e.state,
        memberId: peer.memberId,
        memberName: peer.memberName,
        name: peer.memberName,
      }
      // Presence never shows a device id that another member could write under [L2].
      if ('deviceId' in state) {
        const device = state.deviceId
        if (typeof device !== 'string' || !peer.claimDevice || !peer.claimDevice(device)) {
          delete state.deviceId
          foreignDevices++
        }
      }
      return { ...e, state }
    })
    if (stamped.length > 0)
      applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(stamped), peer)
    return { dropped: entries.length - own.length - echoes, oversized: null, foreignDevices }
  }

  queryAwareness(peer: Peer): void {
    const ids = [...this.awareness.getStates().keys()]
    if (ids.length > 0) peer.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, ids)))
  }

  /**
   * Storage failed under this room, or its document took a change it must not keep: its memory
   * may hold what the disk does not; drop it all (the registry loads the room again from its log).
   * `except` is the socket the caller closes itself.
   */
  fail(err: unknown, code: CloseCode = CloseCode.Unreadable, except?: Peer): void {
    if (this.#failed) return
    this.#failed = err
    const what = code === CloseCode.Unreadable ? 'room storage failed' : 'room reloading'
    this.#logError(what, err, 'error')
    for (const peer of [...this.peers]) if (peer !== except) peer.close(code, what)
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    if (this.idleTimer) clearTimeout(this.idleTimer)
    if (this.#quietTimer) clearTimeout(this.#quietTimer)
    this.doc.off('update', this.#onDocUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }

  #whenDurable(fn: () => void): void {
    this.durable().then(fn, () => {})
  }

  #onDocUpdate = (update: Uint8Array, origin: unknown): void => this.#capture(update, origin, null)

  #capture(update: Uint8Array, origin: unknown, decoded: DecodedUpdate | null): void {
    this.#deleteSet = null
    // The relay's own writes: its client id is never writable by members [M8].
    if (!this.#relayBound && !this.peers.has(origin as Peer)) {
      this.#relayBound = true
      if (this.#deps.storage.bindClient(this.name, this.doc.clientID, RELAY_WRITER))
        this.#owners.set(this.doc.clientID, RELAY_WRITER)
    }
    let batch = this.#batch
    if (!batch) {
      batch = this.#batch = newBatch()
      this.#lastDurable = batch.done
      const b = batch
      setImmediate(() => this.#flush(b))
    }
    batch.updates.push(update)
    batch.decoded.push(decoded)
    batch.origins.add(origin)
  }

  #flush(batch: Batch): void {
    this.#batch = null
    const { metrics, storage } = this.#deps
    if (this.#failed) return batch.reject(this.#failed)
    const { updates, decoded } = batch
    // Whole client updates are merged from the structs already decoded (see merge.ts).
    const update =
      updates.length === 1
        ? updates[0]!
        : decoded.every((d) => d !== null)
          ? mergeDecoded(decoded as DecodedUpdate[])
          : Y.mergeUpdates(updates)
    const started = performance.now()
    this.#inflight++
    storage.appendUpdate(this.name, update).then(
      (id) => {
        this.#inflight--
        metrics.observeStore(performance.now() - started)
        metrics.updatesStored++
        this.#lastStoredId = id
        this.#logCount++
        this.#logBytes += update.byteLength
        const frame = encodeUpdate(update)
        this.#broadcast(frame, batch.origins, batch.acks)
        this.#extendCold(frame)
        this.#keepSinceCompaction(frame)
        this.#coldBuild?.since.push(frame)
        batch.resolve()
        this.storedSinceLoad++
        this.#maybeCompact()
        this.#deps.afterStore?.(this)
      },
      (err: unknown) => {
        this.#inflight--
        batch.reject(err)
        this.fail(err)
      },
    )
  }

  /**
   * One frame for every socket, each writer's acks right behind it; the only author of a batch
   * already has the frame.
   */
  #broadcast(frame: Uint8Array, origins: Set<unknown>, acks: Map<Peer, Map<number, number>>): void {
    const only = origins.size === 1 ? [...origins][0] : undefined
    const once: SharedFrame = {}
    const { metrics } = this.#deps
    let sent = 0
    for (const peer of this.peers) {
      const owed = acks.get(peer)
      const shared = peer === only ? null : frame
      if (!shared && !owed) continue
      const own = owed ? ackFrames(owed) : NO_FRAMES
      metrics.acksSent += own.length
      if (shared) sent++
      if (peer.sendShared) peer.sendShared(shared, once, own)
      else for (const f of shared ? [shared, ...own] : own) peer.send(f)
    }
    metrics.updatesBroadcast++
    metrics.framesBroadcast += sent
    metrics.bytesBroadcast += sent * frame.byteLength
  }

  #onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = [...added, ...updated, ...removed]
    if (changed.length === 0 || this.peers.size === 0) return
    // Like the reference server, the sender gets its own renewal back: an unmodified provider
    // reconnects after 30 s without any message.
    void origin
    const frame = encodeAwareness(encodeAwarenessUpdate(this.awareness, changed))
    for (const peer of this.peers) peer.send(frame)
  }

  /**
   * Cold joins (empty state vector) get the cached encoded state plus the batches since (at most
   * a quarter of the cached state's size, see #extendCold).
   */
  #withColdFrames(use: (frames: Uint8Array[]) => void): void {
    if (this.#cold) return use(this.#cold.frames.slice())
    const { storage } = this.#deps
    if (!this.#offThread()) return use(this.#encodeCold().frames.slice())
    // A big room is built by the store off the event loop (encoding 60 MB here stopped every
    // socket for 1–2 s); joiners wait for that one build, with what is stored meanwhile.
    if (this.#coldBuild) return void this.#coldBuild.waiters.push(use)
    const build: ColdBuild = { since: [], waiters: [use] }
    this.#coldBuild = build
    storage.buildSnapshot!(this.name, this.#lastStoredId).then(
      (built) => {
        this.#coldBuild = null
        const cold = coldOf(built.syncStep2 ?? encodeSyncStep2(built.update), build.since)
        if (!this.#cold && !coldOutgrown(cold)) this.#cold = cold
        for (const waiter of build.waiters) waiter(cold.frames.slice())
      },
      (err: unknown) => {
        this.#coldBuild = null
        this.#logError('cold build failed', err)
        const frames = this.#encodeCold().frames
        for (const waiter of build.waiters) waiter(frames.slice())
      },
    )
  }

  #encodeCold(): ColdCache {
    return (this.#cold = coldOf(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc))))
  }

  /** Whether this room's snapshots are built by the store, off the event loop. */
  #offThread(): boolean {
    return (
      this.#deps.storage.buildSnapshot !== undefined &&
      this.#snapshotBytes + this.#logBytes >=
        (this.#deps.offThreadSnapshotBytes ?? OFF_THREAD_SNAPSHOT_BYTES)
    )
  }

  #extendCold(frame: Uint8Array): void {
    const cold = this.#cold
    if (!cold) return
    cold.frames.push(frame)
    cold.bytes += frame.byteLength
    // Rebuilt (lazily, at the next cold join) once the frames since the base pass a quarter of
    // it: a cold join then sends at most ~1.25× the encoded state, never base + every later frame.
    if (coldOutgrown(cold)) this.#cold = null
  }

  /**
   * A big room takes a snapshot only once its log has also grown by a quarter of the last one:
   * the cost stays proportional to what was written (a 2-MB room at 1,000 marks/s encoded itself
   * every half second).
   */
  #maybeCompact(quiet = false): void {
    if (this.#sealed || this.#compacting || this.#logCount < this.#deps.compactEvery) return
    if (this.#logBytes < this.#snapshotBytes * COMPACT_MIN_GROWTH) return
    const quietMs = this.#deps.compactQuietMs ?? 0
    if (!quiet && quietMs > 0 && this.#logBytes < this.#snapshotBytes * COMPACT_BUSY_GROWTH) {
      // Each stored batch pushes it back: it runs once the room pauses (see compactQuietMs).
      if (this.#quietTimer) clearTimeout(this.#quietTimer)
      this.#quietTimer = setTimeout(() => {
        this.#quietTimer = null
        if (!this.#destroyed && !this.#failed) this.#maybeCompact(true)
      }, quietMs)
      this.#quietTimer.unref?.()
      return
    }
    if (this.#quietTimer) clearTimeout(this.#quietTimer)
    this.#quietTimer = null
    if (!this.#pruned && this.#deps.beforeCompact) {
      this.#pruned = true
      this.#deps.beforeCompact(this)
    }
    if (!this.settled) return
    this.#pruned = false
    this.#compact()
  }

  /**
   * Snapshot = the stored state up to the last stored batch. A big room's is built by the store
   * off the event loop (see RoomDeps.offThreadSnapshotBytes); a small one is encoded here.
   */
  #compact(): void {
    const { storage, metrics } = this.#deps
    const upTo = this.#lastStoredId
    const count = this.#logCount
    const logBytes = this.#logBytes
    // Off the loop even in a pause: a pause says nothing of the next second, and a mark arriving
    // while 60 MB were encoded here waited for it (ack p99 0.4–0.5 s in the durable bench).
    const built: Promise<BuiltSnapshot> = this.#offThread()
      ? storage.buildSnapshot!(this.name, upTo)
      : Promise.resolve({ update: Y.encodeStateAsUpdate(this.doc) })
    // Batches stored while the snapshot is built follow it in the cold-join cache.
    const since: SinceCompaction = { frames: [], bytes: 0, overflow: false }
    this.#framesSinceCompaction = since
    this.#compacting = true
    this.#compaction = built
      .then(({ update: snapshot, syncStep2 }) => {
        if (this.#framesSinceCompaction === since) this.#framesSinceCompaction = null
        // The snapshot plus what was stored since is the best cold-join cache (unless so much
        // was stored meanwhile that the cache as it stands is as good).
        if (!since.overflow) {
          const cold = coldOf(syncStep2 ?? encodeSyncStep2(snapshot), since.frames)
          this.#cold = coldOutgrown(cold) ? null : cold
        }
        if (this.#sealed) return
        return storage.compact(this.name, snapshot, upTo).then(() => {
          this.#logCount -= count
          this.#logBytes -= logBytes
          this.#snapshotBytes = snapshot.byteLength
          metrics.compactions++
        })
      })
      .catch((err: unknown) => {
        this.#logError('compaction failed', err)
      })
      .finally(() => {
        this.#compacting = false
        this.#compaction = null
      })
  }

  #keepSinceCompaction(frame: Uint8Array): void {
    const since = this.#framesSinceCompaction
    if (!since || since.overflow) return
    since.frames.push(frame)
    since.bytes += frame.byteLength
    if (
      since.frames.length > COLD_MAX_FRAMES ||
      since.bytes > Math.max(this.#snapshotBytes, this.#logBytes) * COLD_MAX_GROWTH
    ) {
      since.overflow = true
      since.frames = []
    }
  }

  #logError(msg: string, err: unknown, level: 'warn' | 'error' = 'warn'): void {
    this.#deps.log({ level, msg, room: this.name, err: String(err) })
  }

  /** Resolves once no compaction is being built or stored (an epoch must not race one). */
  compacted(): Promise<void> {
    return this.#compaction ?? Promise.resolve()
  }
}
