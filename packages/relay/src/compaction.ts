/**
 * @module A room's compaction scheduler: it keeps the size of the log since the snapshot, runs a
 * due compaction now or after a pause (compaction-policy.ts), has the snapshot encoded here or
 * built by the store, and hands it to the cold-join cache with the batches stored meanwhile.
 */
import * as Y from 'yjs'
import type { ColdJoinCache, ColdSource } from './cold-join-cache.ts'
import {
  CompactionDue,
  buildsOffThread,
  compactionDue,
  keepSinceSnapshot,
  type LogSize,
  type SinceSnapshot,
} from './compaction-policy.ts'
import type { Metrics } from './metrics.ts'
import { encodeSyncStep2 } from '@switchboard/protocol'
import type { BuiltSnapshot, RelayStorage } from './storage/relay-storage.ts'

/** The room being compacted, as the scheduler reads it. */
export interface CompactedRoom {
  readonly name: string
  readonly doc: Y.Doc
  /** The snapshot holds the log up to this entry. */
  readonly lastStoredId: number
  /** A sealed room is becoming a new epoch: its snapshot must not land after the epoch's. */
  readonly sealed: boolean
  /** Nothing is waiting to be stored. */
  readonly settled: boolean
  readonly failed: boolean
}

export interface CompactorDeps {
  storage: Pick<RelayStorage, 'compact' | 'buildSnapshot' | 'offThreadSnapshotBytes'>
  metrics: Metrics
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
  beforeCompact?: () => void
  cold: ColdJoinCache
  logError: (msg: string, err: unknown) => void
}

/**
 * Compacts one room's log into a snapshot when the policy says it is due; the source of its
 * cold-join answer when none is cached, built the way its snapshots are.
 */
export class Compactor implements ColdSource {
  readonly log: LogSize
  #room: CompactedRoom
  #deps: CompactorDeps
  #running: Promise<void> | null = null
  #since: SinceSnapshot | null = null
  #quietTimer: ReturnType<typeof setTimeout> | null = null
  #pruned = false
  #stopped = false

  constructor(room: CompactedRoom, deps: CompactorDeps, log: LogSize) {
    this.#room = room
    this.#deps = deps
    this.log = log
  }

  /** Whether this room's snapshots are built by the store, off the event loop. */
  get offThread(): boolean {
    const { storage, offThreadSnapshotBytes } = this.#deps
    return buildsOffThread(
      storage.buildSnapshot !== undefined,
      this.log,
      offThreadSnapshotBytes ?? storage.offThreadSnapshotBytes,
    )
  }

  /** The document's state, encoded here. */
  encode(): Uint8Array {
    return Y.encodeStateAsUpdate(this.#room.doc)
  }

  /** The state as stored up to the last stored batch, built by the store off the event loop. */
  build(): Promise<BuiltSnapshot> {
    return this.#deps.storage.buildSnapshot!(this.#room.name, this.#room.lastStoredId)
  }

  onBuildFailed(err: unknown): void {
    this.#deps.logError('cold build failed', err)
  }

  /** A batch of `bytes` was appended to the log. */
  appended(bytes: number): void {
    this.log.count++
    this.log.bytes += bytes
  }

  /** The stored batch's frame: kept for the cold-join cache while a snapshot is built. */
  stored(frame: Uint8Array): void {
    if (this.#since) keepSinceSnapshot(this.#since, frame, this.log)
  }

  /** Starts a compaction if one is due; `paused`: the room has been quiet for compactQuietMs. */
  maybeCompact(paused = false): void {
    if (this.#room.sealed || this.#running) return
    const quietMs = this.#deps.compactQuietMs ?? 0
    const due = compactionDue(this.log, { compactEvery: this.#deps.compactEvery, quietMs }, paused)
    if (due === CompactionDue.No) return
    if (due === CompactionDue.AfterPause) {
      // Each stored batch pushes it back: it runs once the room pauses.
      if (this.#quietTimer) clearTimeout(this.#quietTimer)
      this.#quietTimer = setTimeout(() => {
        this.#quietTimer = null
        if (!this.#stopped && !this.#room.failed) this.maybeCompact(true)
      }, quietMs)
      this.#quietTimer.unref?.()
      return
    }
    if (this.#quietTimer) clearTimeout(this.#quietTimer)
    this.#quietTimer = null
    if (!this.#pruned && this.#deps.beforeCompact) {
      this.#pruned = true
      this.#deps.beforeCompact()
    }
    if (!this.#room.settled) return
    this.#pruned = false
    this.#compact()
  }

  /** Resolves once no compaction is being built or stored (an epoch must not race one). */
  done(): Promise<void> {
    return this.#running ?? Promise.resolve()
  }

  /** No waiting compaction starts any more (the room is destroyed). */
  stop(): void {
    this.#stopped = true
    if (this.#quietTimer) clearTimeout(this.#quietTimer)
    this.#quietTimer = null
  }

  /** Snapshot = the stored state up to the last stored batch, encoded here or by the store. */
  #compact(): void {
    const { storage, metrics, cold } = this.#deps
    const room = this.#room
    const upTo = room.lastStoredId
    const { count, bytes } = this.log
    const built: Promise<BuiltSnapshot> = this.offThread
      ? this.build()
      : Promise.resolve({ update: this.encode() })
    const since: SinceSnapshot = { frames: [], bytes: 0, overflow: false }
    this.#since = since
    this.#running = built
      .then(({ update: snapshot, syncStep2 }) => {
        if (this.#since === since) this.#since = null
        // Unless so much was stored meanwhile that the cache as it stands is as good.
        if (!since.overflow) cold.rebase(syncStep2 ?? encodeSyncStep2(snapshot), since.frames)
        if (room.sealed) return
        return storage.compact(room.name, snapshot, upTo).then(() => {
          this.log.count -= count
          this.log.bytes -= bytes
          this.log.snapshotBytes = snapshot.byteLength
          metrics.compactions++
        })
      })
      .catch((err: unknown) => {
        this.#deps.logError('compaction failed', err)
      })
      .finally(() => {
        this.#running = null
      })
  }
}
