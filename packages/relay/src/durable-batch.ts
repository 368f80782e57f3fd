/**
 * @module The durable batch: every change a room's document takes in one event-loop turn is
 * appended to storage as one merged update, and only once storage resolves is it handed back to
 * the room to broadcast, with the acks owed to its writers: nothing is seen or acknowledged
 * before it is durable, and acks go out in the order the batches were stored.
 */
import * as Y from 'yjs'
import { mergeDecoded, type DecodedUpdate } from './merge.ts'
import type { Metrics } from './metrics.ts'
import type { Peer } from './peer.ts'
import { encodeAck, encodeUpdate } from '@switchboard/protocol'
import type { RelayStorage } from './storage/relay-storage.ts'

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

/** A stored batch, as the room broadcasts it. */
export interface StoredBatch {
  update: Uint8Array
  /** The update as a sync update frame. */
  frame: Uint8Array
  /** Who wrote it (peers, or the relay's own origins). */
  origins: ReadonlySet<unknown>
  /** Acks owed: per socket, the newest clock of each client id. */
  acks: ReadonlyMap<Peer, ReadonlyMap<number, number>>
}

/** The room whose batches are stored. */
export interface BatchRoom {
  readonly name: string
  /** The error the room failed with (null: none): a batch closed after it stores nothing. */
  failure(): unknown
  /** The batch is stored: make it visible (its `durable()` promise resolves right after). */
  stored(batch: StoredBatch): void
  /** Runs once the stored batch's promise resolved. */
  afterStored(): void
  /** Storing failed: the room must not keep what its memory holds. */
  storeFailed(err: unknown): void
}

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

/** The batch as one update; whole client updates are merged from their decoded structs. */
function mergeBatch({ updates, decoded }: Batch): Uint8Array {
  if (updates.length === 1) return updates[0]!
  return decoded.every((d) => d !== null)
    ? mergeDecoded(decoded as DecodedUpdate[])
    : Y.mergeUpdates(updates)
}

type TurnStore = Pick<RelayStorage, 'appendUpdate' | 'turnEnded'>

/** Batches closed in this turn, by every room: flushed in one callback (see `closeAtEndOfTurn`). */
let closing: (() => void)[] = []
/** How many of those callbacks have run: a batch opened now is closed when the count moves. */
let turnsClosed = 0
/** The stores those batches were handed to, told once the callback handed over all of them. */
let closingStores = new Set<TurnStore>()

/**
 * Runs `close` with every other room's batch of the turn, in one setImmediate callback: a store
 * that commits what was appended when the callback's microtasks run (SQLite) then takes every
 * room's batch in one commit, where one callback per room committed the first room's alone and
 * made the others wait for it.
 */
function closeAtEndOfTurn(close: () => void, store?: TurnStore): void {
  closing.push(close)
  if (store) closingStores.add(store)
  if (closing.length > 1) return
  setImmediate(() => {
    const all = closing
    const stores = closingStores
    closing = []
    turnsClosed++
    closingStores = new Set()
    let failed: unknown = null
    for (const fn of all) {
      try {
        fn()
      } catch (err) {
        failed ??= err
      }
    }
    // A store that would gather these appends until its next turn commits them now: one loop
    // iteration (other sockets' frames, the store's answers) less in front of every ack.
    for (const s of stores) s.turnEnded?.()
    if (failed !== null) throw failed
  })
}

/**
 * The turn a change made now is closed with: two changes (in any rooms) that see the same value
 * reach the store in the same callback, and so in the same SQLite commit.
 */
export const closingTurn = (): number => turnsClosed

/**
 * Runs `fn` in the callback that closes this turn's batches, after every batch opened before the
 * call was handed to the store: what `fn` writes to the SQLite store rides in their commit.
 */
export const atEndOfTurn = (fn: () => void): void => closeAtEndOfTurn(fn)

/** One room's batches: the open one, those being stored, and the last one stored. */
export class DurableBatches {
  #room: BatchRoom
  #storage: TurnStore
  #metrics: Metrics
  #open: Batch | null = null
  #lastDurable: Promise<void> = Promise.resolve()
  #inflight = 0
  #lastStoredId: number

  constructor(room: BatchRoom, storage: TurnStore, metrics: Metrics, lastStoredId: number) {
    this.#room = room
    this.#storage = storage
    this.#metrics = metrics
    this.#lastStoredId = lastStoredId
  }

  /** The id of the last stored log entry. */
  get lastStoredId(): number {
    return this.#lastStoredId
  }

  /** True when nothing is waiting to be stored. */
  get settled(): boolean {
    return this.#open === null && this.#inflight === 0
  }

  /** Resolves once every change added so far is durable. */
  durable(): Promise<void> {
    return this.#lastDurable
  }

  /** Adds a document change to the open batch, which is closed at the end of the turn. */
  add(update: Uint8Array, origin: unknown, decoded: DecodedUpdate | null): void {
    let batch = this.#open
    if (!batch) {
      batch = this.#open = newBatch()
      this.#lastDurable = batch.done
      const b = batch
      closeAtEndOfTurn(() => this.#flush(b), this.#storage)
    }
    batch.updates.push(update)
    batch.decoded.push(decoded)
    batch.origins.add(origin)
  }

  /**
   * Acknowledges `clients` to `peer`, each at `clockOf(client)`: with the open batch's broadcast,
   * or (nothing new to store, e.g. an update the room already had) once all before is durable.
   * Acks are cumulative ("every struct below clock is stored"), so of several updates of one
   * client in a batch only the last ack says anything: one is sent.
   */
  ack(peer: Peer, clients: readonly number[], clockOf: (client: number) => number): void {
    const batch = this.#open
    if (batch) {
      let owed = batch.acks.get(peer)
      for (const client of clients) {
        if (!owed) batch.acks.set(peer, (owed = new Map()))
        owed.set(client, clockOf(client))
      }
      return
    }
    const acks = clients.map((client) => encodeAck(client, clockOf(client)))
    if (acks.length === 0) return
    this.#lastDurable.then(
      () => {
        for (const a of acks) peer.send(a)
        this.#metrics.acksSent += acks.length
      },
      () => {},
    )
  }

  #flush(batch: Batch): void {
    this.#open = null
    const room = this.#room
    const failure = room.failure()
    if (failure) return batch.reject(failure)
    const update = mergeBatch(batch)
    const started = performance.now()
    this.#inflight++
    this.#storage.appendUpdate(room.name, update).then(
      (id) => {
        this.#inflight--
        this.#metrics.observeStore(performance.now() - started)
        this.#metrics.updatesStored++
        this.#lastStoredId = id
        const { origins, acks } = batch
        room.stored({ update, frame: encodeUpdate(update), origins, acks })
        batch.resolve()
        room.afterStored()
      },
      (err: unknown) => {
        this.#inflight--
        batch.reject(err)
        room.storeFailed(err)
      },
    )
  }
}
