/**
 * @module The replica's writes to local storage: one queue for every write (rooms and ledger),
 * the pending ledger's records appended and compacted in room `~device`, and the Yjs client id
 * each room is written with, kept in the ledger so it is reused across loads.
 */
import { formatTimestamp, type Hlc } from '@switchboard/core'
import { randomClientId } from './ids.ts'
import { LEDGER_ROOM, type PendingLedger } from './ledger.ts'
import type { ClientStorage } from './storage/client-storage.ts'

const LEDGER_COMPACT_AFTER = 256

export interface LedgerStoreOptions {
  storage: ClientStorage
  ledger: PendingLedger
  hlc: Hlc
  /** Whether the replica is destroyed: no more scheduled saves. */
  closed(): boolean
  fail(error: unknown): void
}

export class LedgerStore {
  private readonly o: LedgerStoreOptions
  private queue: Promise<void> = Promise.resolve()
  private records = 0
  private saveScheduled = false
  private loadedLedger!: () => void
  /** Resolves once the ledger is loaded (or failed to), so client ids can be handed out. */
  private readonly whenLedger = new Promise<void>((resolve) => (this.loadedLedger = resolve))

  constructor(options: LedgerStoreOptions) {
    this.o = options
  }

  /** Runs `task` after every write queued before it; the returned promise carries its outcome. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task)
    this.queue = run.catch(() => {})
    return run
  }

  /** Resolves when every storage write so far has completed. */
  flushed(): Promise<void> {
    return this.queue
  }

  /** Folds the stored ledger, compacts it to one record, and restores the device's HLC. */
  async load(): Promise<void> {
    const { storage, ledger, hlc } = this.o
    const records = await storage.load(LEDGER_ROOM)
    const snapshot = ledger.load(records)
    this.records = records.length
    if (records.length > 1) {
      await this.enqueue(() => storage.compact(LEDGER_ROOM, snapshot))
      this.records = 1
    }
    if (ledger.savedHlc) hlc.receive(ledger.savedHlc)
    this.loadedLedger()
  }

  /** The ledger could not be loaded: client ids are handed out anyway (the load error is told). */
  loadFailed(): void {
    this.loadedLedger()
  }

  /** Appends this device's record, compacting the ledger room when it grew long. */
  async append(): Promise<void> {
    const { storage, ledger } = this.o
    if (this.records >= LEDGER_COMPACT_AFTER) {
      await storage.compact(LEDGER_ROOM, ledger.compacted(await storage.load(LEDGER_ROOM)))
      this.records = 1
    } else {
      await storage.append(LEDGER_ROOM, ledger.record())
      this.records++
    }
  }

  /** Persists the ledger and the HLC after a local write (called from the write queue). */
  async save(): Promise<void> {
    this.o.ledger.savedHlc = formatTimestamp(this.o.hlc.peek())
    await this.append()
  }

  /** Queues one save for the acks heard meanwhile. */
  scheduleSave(): void {
    if (this.saveScheduled || this.o.closed()) return
    this.saveScheduled = true
    // Only this device's record: another tab's is that tab's to write (its count is corrected
    // from the relay's state vector on its next connect, never undercounted by us).
    this.enqueue(async () => {
      this.saveScheduled = false
      await this.append()
    }).catch((e) => this.o.fail(e))
  }

  /** Removes rooms' local data and saves the ledger that forgot them. */
  clear(rooms: string[]): Promise<void> {
    return this.enqueue(async () => {
      for (const name of rooms) await this.o.storage.clear(name)
      await this.append()
    })
  }

  /** The client id this device writes `room` with (reused across loads; new when `avoid` has it). */
  async clientIdFor(room: string, avoid?: ReadonlySet<number>): Promise<number> {
    await this.whenLedger
    const { ledger } = this.o
    let id = ledger.clientIdFor(room)
    if (id === undefined || avoid?.has(id)) {
      do id = randomClientId()
      while (avoid?.has(id))
      ledger.setClientId(room, id)
      this.scheduleSave()
    }
    return id
  }
}
