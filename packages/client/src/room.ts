/**
 * @module One room's replica: a Y.Doc loaded from local storage first, every update appended
 * to storage, and (when connected) a y-websocket provider that also reads the relay's acks.
 *
 * Ack (message type 100, docs/HELPERS.md): `[varUint 100][varUint clientID][varUint clock]`.
 * The relay's sync step 1 state vector on (re)connect says the same for every client id.
 */
import * as decoding from 'lib0/decoding'
import type * as encoding from 'lib0/encoding'
import { Awareness } from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { PendingLedger } from './ledger.ts'
import type { ClientStorage } from './storage/client-storage.ts'

export const MESSAGE_ACK = 100
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
}

export interface ProviderOptions {
  serverUrl: string
  params: Record<string, string>
  WebSocket: unknown
  shouldReconnect: (event: CloseEvent) => boolean
}

type MessageHandler = (
  encoder: encoding.Encoder,
  decoder: decoding.Decoder,
  provider: WebsocketProvider,
  emitSynced: boolean,
  messageType: number,
) => void

export class RoomReplica {
  readonly name: string
  readonly doc = new Y.Doc()
  readonly awareness: Awareness
  readonly loaded: Promise<void>
  provider: WebsocketProvider | null = null
  /** Open handles on this room (conversation rooms close when the last one does). */
  refs = 0
  private readonly ctx: RoomContext
  private records = 0
  private tail: Promise<void> = Promise.resolve()
  private listeners = new Set<() => void>()
  private destroyed = false

  constructor(name: string, ctx: RoomContext) {
    this.name = name
    this.ctx = ctx
    this.awareness = new Awareness(this.doc)
    this.awareness.setLocalState(null)
    this.loaded = this.load()
    this.doc.on('update', this.onUpdate)
  }

  private async load(): Promise<void> {
    const records = await this.ctx.storage.load(this.name)
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
    this.records = records.length
    if (records.length > COMPACT_AFTER) await this.compact()
  }

  private onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === loadOrigin || this.destroyed) return
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
    if (!this.provider) {
      const provider = new WebsocketProvider(options.serverUrl, this.name, this.doc, {
        connect: false,
        awareness: this.awareness,
        params: options.params,
        WebSocketPolyfill: options.WebSocket as typeof WebSocket,
        disableBc: true,
        shouldReconnect: options.shouldReconnect,
      })
      const handlers = provider.messageHandlers as unknown as MessageHandler[]
      const sync = handlers[0]!
      handlers[0] = (encoder, decoder, p, emitSynced, type) => {
        this.peekStateVector(decoder)
        sync(encoder, decoder, p, emitSynced, type)
      }
      handlers[MESSAGE_ACK] = (_encoder, decoder) => {
        const clientID = decoding.readVarUint(decoder)
        const clock = decoding.readVarUint(decoder)
        this.ctx.ledger.ack(this.name, clientID, clock)
      }
      provider.on('status', () => this.emit())
      provider.on('sync', () => this.emit())
      this.provider = provider
    }
    this.provider.params = options.params
    this.provider.connect()
  }

  /** Sync step 1 from the relay carries its state vector: what it has stored. */
  private peekStateVector(decoder: decoding.Decoder) {
    const peek = decoding.clone(decoder)
    if (decoding.readVarUint(peek) !== syncProtocol.messageYjsSyncStep1) return
    const sv = Y.decodeStateVector(decoding.readVarUint8Array(peek))
    for (const clientID of this.ctx.ledger.clientsIn(this.name))
      this.ctx.ledger.ack(this.name, clientID, sv.get(clientID) ?? 0)
  }

  disconnect(): void {
    this.provider?.disconnect()
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
    await this.tail
    this.destroyed = true
    this.doc.off('update', this.onUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }
}
