/**
 * @module The pending ledger: which local changes the relay has not yet acknowledged as stored.
 *
 * Each local transaction that adds structs ends at a clock of this session's Yjs clientID.
 * The relay acknowledges `(clientID, clock)` = "everything of clientID below clock is stored"
 * (ack message 100), and its sync step 1 state vector says the same on every (re)connect.
 * `pending` counts the recorded transaction ends not yet covered. The ledger is persisted in the
 * replica's own storage (room `~device`), so after a restart offline the earlier, still
 * unacknowledged changes are still counted: `pending` is 0 only when all of them are on the relay.
 *
 * A transaction recorded as implicit (the read that opening a conversation causes) is awaited
 * like any other (`unacked`, `whenSynced`) but not counted in `pending`, which tells the user how
 * many of the things they did are not yet on the relay.
 *
 * Several tabs may share one IndexedDB: each device appends its own JSON record, the fold keeps
 * the newest record per device, and every device counts all of them (they are the same replica).
 */
export const LEDGER_ROOM = '~device'

interface ClientEntry {
  room: string
  acked: number
  ends: number[]
  /** Ends of implicit transactions: unacknowledged like `ends`, not counted in `pending`. */
  quiet?: number[]
}

interface DeviceRecord {
  /** Last HLC timestamp this device issued, so its clock never runs backwards across restarts. */
  hlc: string | null
  clients: Record<string, ClientEntry>
  updatedAt: number
  /**
   * The Yjs client id this device writes each room with, reused across page loads: the device
   * id is held under a lock (Web Lock or the replica's LOCK file), so no two live tabs or
   * processes ever write with one (docs/bounded-documents.md).
   */
  clientIds?: Record<string, number>
}

type LedgerFile = Record<string, DeviceRecord>

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class PendingLedger {
  readonly deviceId: string
  private devices: LedgerFile = {}
  private listeners = new Set<(reason: 'local' | 'ack') => void>()
  /** True while an implicit write runs (`implicitly`): its transaction is not counted. */
  private implicitNow = false

  constructor(deviceId: string) {
    this.deviceId = deviceId
  }

  /** Folds the stored records; returns the snapshot to compact the ledger room to. */
  load(records: Uint8Array[]): Uint8Array {
    for (const bytes of records) {
      try {
        const file = JSON.parse(decoder.decode(bytes)) as LedgerFile
        for (const [id, rec] of Object.entries(file)) this.devices[id] = rec
      } catch {
        // a record that does not parse is skipped; the relay's state vector corrects the count
      }
    }
    for (const [id, rec] of Object.entries(this.devices)) {
      for (const [clientID, entry] of Object.entries(rec.clients)) {
        prune(entry)
        if (isEmpty(entry)) delete rec.clients[clientID]
      }
      const keep =
        Object.keys(rec.clients).length > 0 || Object.keys(rec.clientIds ?? {}).length > 0
      if (id !== this.deviceId && !keep) delete this.devices[id]
    }
    this.self()
    return encoder.encode(JSON.stringify(this.devices))
  }

  /** This device's record as bytes, for appending. */
  record(): Uint8Array {
    return encoder.encode(JSON.stringify({ [this.deviceId]: this.self() }))
  }

  /**
   * A compaction snapshot: the newest stored record of every other device (another tab may
   * have written since this one loaded) plus this device's own.
   */
  compacted(stored: Uint8Array[]): Uint8Array {
    const merged: LedgerFile = {}
    for (const bytes of stored) {
      try {
        Object.assign(merged, JSON.parse(decoder.decode(bytes)) as LedgerFile)
      } catch {
        // skipped, as in load
      }
    }
    merged[this.deviceId] = this.self()
    return encoder.encode(JSON.stringify(merged))
  }

  get savedHlc(): string | null {
    return this.self().hlc
  }

  set savedHlc(value: string | null) {
    this.self().hlc = value
  }

  /** The client id this device last wrote `room` with, if any. */
  clientIdFor(room: string): number | undefined {
    return this.self().clientIds?.[room]
  }

  setClientId(room: string, clientID: number): void {
    const rec = this.self()
    rec.clientIds = { ...rec.clientIds, [room]: clientID }
    rec.updatedAt = Date.now()
  }

  /**
   * Forgets this device's pending entries of `room` written with any other client id than
   * `keep`: after adopting a new epoch they are either replayed (and pending under `keep`) or
   * covered by the epoch [E3].
   */
  forgetOtherClients(room: string, keep: number): boolean {
    const rec = this.self()
    let changed = false
    for (const [id, entry] of Object.entries(rec.clients))
      if (entry.room === room && Number(id) !== keep) {
        delete rec.clients[id]
        changed = true
      }
    if (changed) this.emit('ack')
    return changed
  }

  /** Forgets every pending entry and client id of `room`: its local data is gone [R4]. */
  forgetRoom(room: string): void {
    for (const rec of Object.values(this.devices)) {
      for (const [id, entry] of Object.entries(rec.clients))
        if (entry.room === room) delete rec.clients[id]
      if (rec.clientIds && room in rec.clientIds) {
        const { [room]: _gone, ...rest } = rec.clientIds
        rec.clientIds = rest
      }
    }
    this.self().updatedAt = Date.now()
    this.emit('ack')
  }

  /** The client ids with unacknowledged changes in `room`, each with the clock the relay acknowledged. */
  ackedIn(room: string): Map<number, number> {
    const out = new Map<number, number>()
    for (const rec of Object.values(this.devices))
      for (const [id, entry] of Object.entries(rec.clients))
        if (entry.room === room) out.set(Number(id), entry.acked)
    return out
  }

  /**
   * Runs `write`, whose local transactions the user did not ask for (the read that opening a
   * conversation causes): they are awaited like any other but not counted in `pending`.
   * Yjs tells a transaction's update synchronously, inside `write`.
   */
  implicitly<T>(write: () => T): T {
    this.implicitNow = true
    try {
      return write()
    } finally {
      this.implicitNow = false
    }
  }

  /** A local transaction in `room` that ends at `clock` of `clientID`. */
  recordLocal(room: string, clientID: number, clock: number): void {
    const implicit = this.implicitNow
    const rec = this.self()
    const entry = (rec.clients[clientID] ??= { room, acked: 0, ends: [] })
    if (clock <= entry.acked || entry.ends.includes(clock) || entry.quiet?.includes(clock)) return
    if (implicit) (entry.quiet ??= []).push(clock)
    else entry.ends.push(clock)
    rec.updatedAt = Date.now()
    this.emit('local')
  }

  /** The relay has stored every struct of `clientID` below `clock`. Returns whether pending changed. */
  ack(room: string, clientID: number, clock: number): boolean {
    let changed = false
    for (const rec of Object.values(this.devices)) {
      const entry = rec.clients[clientID]
      if (!entry || entry.room !== room || clock <= entry.acked) continue
      entry.acked = clock
      if (prune(entry)) changed = true
      if (isEmpty(entry)) delete rec.clients[clientID]
    }
    if (changed) this.emit('ack')
    return changed
  }

  /** Client ids with unacknowledged changes in `room`, to check against a relay state vector. */
  clientsIn(room: string): number[] {
    const out: number[] = []
    for (const rec of Object.values(this.devices))
      for (const [id, entry] of Object.entries(rec.clients))
        if (entry.room === room) out.push(Number(id))
    return out
  }

  /** Rooms holding unacknowledged changes (they must be opened to be pushed). */
  rooms(): Set<string> {
    const out = new Set<string>()
    for (const rec of Object.values(this.devices))
      for (const entry of Object.values(rec.clients)) out.add(entry.room)
    return out
  }

  /** Unacknowledged transactions the user made (implicit ones are left out). */
  get pending(): number {
    let n = 0
    for (const rec of Object.values(this.devices))
      for (const entry of Object.values(rec.clients)) n += entry.ends.length
    return n
  }

  /** Every unacknowledged transaction, implicit ones included. */
  get unacked(): number {
    let n = 0
    for (const rec of Object.values(this.devices))
      for (const entry of Object.values(rec.clients))
        n += entry.ends.length + (entry.quiet?.length ?? 0)
    return n
  }

  /** Listener learns whether a local write or an acknowledgement changed the count. */
  onChange(listener: (reason: 'local' | 'ack') => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(reason: 'local' | 'ack') {
    for (const l of this.listeners) l(reason)
  }

  private self(): DeviceRecord {
    return (this.devices[this.deviceId] ??= { hlc: null, clients: {}, updatedAt: Date.now() })
  }
}

/** Drops the ends the relay acknowledged; true when any went. */
function prune(entry: ClientEntry): boolean {
  const before = entry.ends.length + (entry.quiet?.length ?? 0)
  entry.ends = entry.ends.filter((end) => end > entry.acked)
  if (entry.quiet) {
    entry.quiet = entry.quiet.filter((end) => end > entry.acked)
    if (entry.quiet.length === 0) delete entry.quiet
  }
  return entry.ends.length + (entry.quiet?.length ?? 0) !== before
}

function isEmpty(entry: ClientEntry): boolean {
  return entry.ends.length === 0 && !entry.quiet?.length
}
