/**
 * @module One room's replica: a Y.Doc loaded from local storage first, every update appended
 * to storage, and (when connected) a y-websocket provider that also reads the relay's acks and
 * its state vector on (re)connect (`room-provider.ts`).
 *
 * Writer ids: an inbox doc reuses this device's Yjs client id across page loads (the device id
 * is held under a lock, so no other tab or process writes with it); other rooms draw one per
 * load. Rebuild: when the relay starts a new epoch (close 4409), or says it holds more of our client id than we do (a
 * replica restored from an old snapshot), the room takes the relay's state into a fresh doc
 * with a new client id, replays this device's entries the fresh doc lacks (`replayIntoEpoch`),
 * and swaps it in; nothing made offline is lost (docs/bounded-documents.md). A refused update
 * (4422, 4413) rebuilds the room the same way, but writes again only this device's unsynced
 * changes that a local check still admits, and reports the rest as dropped (docs/recovery.md).
 */
import { Awareness } from 'y-protocols/awareness'
import type { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { replayIntoEpoch, type ReplayAuthor } from '@switchboard/core'
import type { PendingLedger } from './ledger.ts'
import {
  rebaseInto,
  type RebaseAuthor,
  type RebuildReason,
  type RecoveryReport,
  type Refusal,
} from './recovery.ts'
import { createRoomProvider, rekeyAwareness, type ProviderOptions } from './room-provider.ts'
import type { ClientStorage } from './storage/client-storage.ts'

/** Compact a room's log into one snapshot once it holds this many records. */
const COMPACT_AFTER = 256

/** Origin of updates applied from local storage (never re-appended). */
const loadOrigin = Symbol('switchboard:storage')

export interface RoomContext {
  storage: ClientStorage
  ledger: PendingLedger
  /** The origin every local write of this device uses. */
  origin: object
  /** Serializes every storage write of the replica. */
  enqueue(task: () => Promise<void>): Promise<void>
  /** Persist the ledger (and HLC) after a local write. */
  saveLedger(): Promise<void>
  onStorageError(error: unknown): void
  /** The client id this device writes `room` with (reused across loads; new when `avoid` has it). */
  clientIdFor(room: string, avoid?: ReadonlySet<number>): Promise<number>
  /** Who replays this device's entries into a rebuilt doc; null when no member can write. */
  replayAuthor(): ReplayAuthor | null
  /** Who rebases after a refusal in `room`, with the room's assignee rule [R2][G3]. */
  rebaseAuthor(room: string): RebaseAuthor | null
  /** A refused update was recovered from: tell the user (called once storage holds the result). */
  onRecovered(report: RecoveryReport): void
}

export class RoomReplica {
  readonly name: string
  /** The room's current doc; replaced (never mutated in place) when the room is rebuilt. */
  doc = new Y.Doc()
  readonly awareness: Awareness
  readonly loaded: Promise<void>
  /** True once `loaded` has resolved: the doc holds what local storage had. */
  isLoaded = false
  /** Whether this device has the room's content: local storage had some, or it synced once. */
  downloaded = false
  provider: WebsocketProvider | null = null
  /** Open handles on this room (conversation rooms close when the last one does). */
  refs = 0
  private readonly ctx: RoomContext
  private records = 0
  private tail: Promise<void> = Promise.resolve()
  private listeners = new Set<() => void>()
  private updateListeners = new Set<() => void>()
  private docListeners = new Set<(next: Y.Doc, old: Y.Doc) => void>()
  private destroyed = false
  private options: ProviderOptions | null = null
  /** The doc being rebuilt from the relay's state, until it is swapped in. */
  private rebuilding: {
    doc: Y.Doc
    provider: WebsocketProvider
    reason: RebuildReason
    /** The relay's state vector from its sync step 1: the fresh doc must reach it first. */
    target: Map<number, number> | null
  } | null = null
  /** How many times this room was rebuilt (tests and diagnostics). */
  rebuilds = 0
  /** Refusals since the relay last acknowledged a change here: the first rebases, later ones drop [R3]. */
  private refusals = 0
  /** The refusal being recovered from, until the rebuilt doc is swapped in. */
  private refusal: (Refusal & { rebase: boolean }) | null = null

  constructor(name: string, ctx: RoomContext) {
    this.name = name
    this.ctx = ctx
    this.awareness = new Awareness(this.doc)
    this.awareness.setLocalState(null)
    this.loaded = this.load().then(() => {
      this.isLoaded = true
    })
  }

  private async load(): Promise<void> {
    // Inbox rooms reuse the device's id (every session there writes marks); other rooms get
    // few writes, and their rebuild could not replay notes or contact edits by meaning.
    const reuse = this.name.startsWith('inbox:')
    const clientID = reuse ? await this.ctx.clientIdFor(this.name) : this.doc.clientID
    // The doc gets no 'update' listener before it is loaded: Yjs re-encodes each transaction
    // for such listeners, and for the load that is the whole room, which nobody needs.
    // Handles hear of the load once, after it.
    let records: Uint8Array[]
    try {
      records = await this.ctx.storage.load(this.name)
      Y.transact(
        this.doc,
        () => {
          for (const r of records) {
            try {
              Y.applyUpdate(this.doc, r)
            } catch {
              // a record Yjs cannot read is skipped; the relay has the data
            }
          }
        },
        loadOrigin,
        false,
      )
    } finally {
      this.doc.on('update', this.onUpdate)
    }
    if (records.length > 0) for (const l of this.updateListeners) l()
    // Set after loading: Yjs takes an update carrying the doc's own client id for another
    // writer's and replaces the id. The next write continues this id's clock where it stopped.
    this.doc.clientID = clientID
    rekeyAwareness(this.awareness, clientID)
    this.records = records.length
    if (records.length > 0) this.downloaded = true
    if (records.length > COMPACT_AFTER) await this.compact()
  }

  private onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === loadOrigin || this.destroyed) return
    for (const l of this.updateListeners) l()
    const local = origin === this.ctx.origin
    if (local) {
      this.ctx.ledger.recordLocal(
        this.name,
        this.doc.clientID,
        Y.getState(this.doc.store, this.doc.clientID),
      )
    }
    const write = this.ctx.enqueue(async () => {
      await this.loaded
      await this.ctx.storage.append(this.name, update)
      this.records++
      if (local) await this.ctx.saveLedger()
      if (this.records > COMPACT_AFTER) await this.compact()
    })
    this.tail = write.catch(() => {})
    write.catch((e) => this.ctx.onStorageError(e))
    if (local) this.lastLocalWrite = write
  }

  /** The promise of the last local write's storage append (rejects if it failed). */
  lastLocalWrite: Promise<void> = Promise.resolve()

  /** Resolves once every update so far is in storage. */
  flushed(): Promise<void> {
    return this.tail
  }

  private async compact() {
    await this.ctx.storage.compact(this.name, Y.encodeStateAsUpdate(this.doc))
    this.records = 1
  }

  /** Connect this room through y-websocket, reading acks and the relay's state vector. */
  connect(options: ProviderOptions): void {
    if (this.destroyed) return
    this.options = options
    if (this.rebuilding) {
      this.rebuilding.provider.params = options.params
      this.rebuilding.provider.connect()
      return
    }
    this.provider ??= this.createProvider(this.doc, options)
    this.provider.params = options.params
    this.provider.connect()
  }

  private createProvider(doc: Y.Doc, options: ProviderOptions): WebsocketProvider {
    return createRoomProvider(this.name, doc, this.awareness, options, {
      // Sync step 1 is answered with our own state: never once the relay holds more of our
      // client id than we do (that answer would carry different structs under the same ids).
      onStateVector: (sv) => {
        if (this.readStateVector(sv, doc) === 'ok') return true
        void this.rebuild('restored')
        return false
      },
      onAck: (clientID, clock) => {
        this.ctx.ledger.ack(this.name, clientID, clock)
        // The relay stored a change of ours: a later refusal is a new one, rebased again.
        if (doc === this.doc) this.refusals = 0
      },
      onStatus: () => this.emit(),
      onSync: () => {
        // Handles hear of it: a first sync that brought nothing changes what an empty room means.
        if (doc === this.doc && this.provider?.synced && !this.downloaded) {
          this.downloaded = true
          for (const l of this.updateListeners) l()
        }
        this.maybeSwapIn()
        this.emit()
      },
    })
  }

  /**
   * The relay's sync step 1 state vector says what it has stored: acks for this device's
   * clients, or 'restored' when it holds more of this doc's own client id than the doc does.
   */
  private readStateVector(sv: Map<number, number>, doc: Y.Doc): 'ok' | 'restored' {
    if (this.rebuilding?.doc === doc) this.rebuilding.target = sv
    if ((sv.get(doc.clientID) ?? 0) > Y.getState(doc.store, doc.clientID)) return 'restored'
    if (doc !== this.doc) return 'ok'
    for (const clientID of this.ctx.ledger.clientsIn(this.name))
      this.ctx.ledger.ack(this.name, clientID, sv.get(clientID) ?? 0)
    return 'ok'
  }

  /**
   * Recovers from a refused update [R1]: rebuilds the room from the relay's state, then writes
   * again what this device may still write ([R2]; after a second refusal in a row, nothing
   * [R3]). False, doing nothing, when nothing of this device is pending here: then the refusal
   * is not about its changes, and dropping them would not help.
   */
  recover(refusal: Refusal): boolean {
    if (this.destroyed || !this.options || this.ctx.ledger.clientsIn(this.name).length === 0)
      return false
    this.refusal = { ...refusal, rebase: this.refusals === 0 }
    this.refusals++
    void this.rebuild('refused')
    return true
  }

  /**
   * Takes the relay's state into a fresh doc with a new client id; once it has synced, this
   * device's entries are replayed into it and it replaces `doc` [E3]. Writes made meanwhile go
   * to the old doc and are replayed too.
   */
  async rebuild(reason: RebuildReason): Promise<void> {
    if (this.destroyed || !this.options) return
    if (this.rebuilding) {
      // A new epoch while adopting the last one: start over from the newest.
      this.rebuilding.provider.destroy()
      this.rebuilding.doc.destroy()
      this.rebuilding = null
    }
    this.provider?.destroy()
    this.provider = null
    const avoid = new Set(this.doc.store.clients.keys())
    avoid.add(this.doc.clientID)
    const doc = new Y.Doc()
    doc.clientID = await this.ctx.clientIdFor(this.name, avoid)
    if (this.destroyed || !this.options) return
    rekeyAwareness(this.awareness, doc.clientID)
    const provider = this.createProvider(doc, this.options)
    this.rebuilding = { doc, provider, reason, target: null }
    doc.on('update', () => this.maybeSwapIn())
    this.emit()
    provider.connect()
  }

  /**
   * Swaps the fresh doc in once it holds everything the relay had when it joined: the 'sync'
   * event fires on the first step 2, and a cold join may send later batches after it. Replaying
   * before they arrive could write a key concurrently with a newer value of it [E3].
   */
  private maybeSwapIn(): void {
    const r = this.rebuilding
    if (!r || !r.provider.synced || !r.target) return
    for (const [client, clock] of r.target) if (Y.getState(r.doc.store, client) < clock) return
    this.swapIn()
  }

  private swapIn(): void {
    const rebuilding = this.rebuilding
    if (!rebuilding || this.destroyed) return
    this.rebuilding = null
    const { doc: next, provider } = rebuilding
    const old = this.doc
    const author = this.ctx.replayAuthor()
    let report: RecoveryReport | null = null
    if (rebuilding.reason === 'refused') {
      const refusal = this.refusal ?? { code: 0, reason: '', rebase: false }
      this.refusal = null
      const rebaser = this.ctx.rebaseAuthor(this.name)
      const rebased = rebaseInto(this.name, old, next, refusal, rebaser, this.ctx.origin)
      report = rebased.report
      // Nothing written again: nothing of the refused batch can be refused twice.
      if (!rebased.wroteAgain) this.refusals = 0
    } else if (author) replayIntoEpoch(old, next, author, this.ctx.origin)
    old.off('update', this.onUpdate)
    this.doc = next
    next.on('update', this.onUpdate)
    this.provider = provider
    this.rebuilds++
    const { ledger } = this.ctx
    ledger.forgetOtherClients(this.name, next.clientID)
    const end = Y.getState(next.store, next.clientID)
    if (end > 0) ledger.recordLocal(this.name, next.clientID, end)
    const state = Y.encodeStateAsUpdate(next)
    const write = this.ctx.enqueue(async () => {
      await this.loaded
      // One atomic replace: until it lands, storage still holds the old doc, which a restart
      // rebuilds again (a replay the relay already has changes nothing).
      await this.ctx.storage.compact(this.name, state)
      this.records = 1
      await this.ctx.saveLedger()
    })
    this.tail = write.catch(() => {})
    write.catch((e) => this.ctx.onStorageError(e))
    this.lastLocalWrite = write
    if (report) {
      const done = report
      void this.tail.then(() => this.ctx.onRecovered(done))
    }
    for (const l of this.docListeners) l(next, old)
    this.emit()
  }

  /**
   * Listener hears after each update of the room's doc (of whichever doc is current), and once
   * after the room is loaded from storage when that found anything; returns unsubscribe. Use it
   * rather than the doc's own 'update' event, which would make Yjs encode the whole load.
   */
  onDocUpdate(listener: () => void): () => void {
    this.updateListeners.add(listener)
    return () => this.updateListeners.delete(listener)
  }

  /** Listener hears when `doc` is replaced by a rebuilt one; returns unsubscribe. */
  onDocSwap(listener: (next: Y.Doc, old: Y.Doc) => void): () => void {
    this.docListeners.add(listener)
    return () => this.docListeners.delete(listener)
  }

  disconnect(): void {
    this.provider?.disconnect()
    this.rebuilding?.provider.disconnect()
  }

  /** The room's providers: its own and, while it is rebuilt, the fresh doc's. */
  get providers(): WebsocketProvider[] {
    return [this.provider, this.rebuilding?.provider ?? null].filter((p) => p !== null)
  }

  get connected(): boolean {
    return !!this.provider?.wsconnected
  }

  get connecting(): boolean {
    return !!this.provider?.wsconnecting
  }

  get synced(): boolean {
    return !!this.provider?.synced
  }

  get retries(): number {
    return this.provider?.wsUnsuccessfulReconnects ?? 0
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit() {
    for (const l of this.listeners) l()
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.provider?.destroy()
    this.provider = null
    if (this.rebuilding) {
      this.rebuilding.provider.destroy()
      this.rebuilding.doc.destroy()
      this.rebuilding = null
    }
    await this.tail
    this.destroyed = true
    this.doc.off('update', this.onUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }
}
