/**
 * @module When a room's log is compacted into a snapshot, and where the snapshot is built. The
 * cost of a snapshot stays proportional to what was written: a room snapshots after
 * `compactEvery` stored batches, and a big room only once its log has also grown by a quarter of
 * its last snapshot. A due compaction of a busy room waits for a pause, unless its log has
 * outgrown the snapshot.
 */
import { COLD_MAX_FRAMES, COLD_MAX_GROWTH } from './cold-join-cache.ts'

/** A room compacts only once its log has grown by this fraction of its snapshot. */
export const COMPACT_MIN_GROWTH = 0.25
/** Past this growth (log bytes over snapshot bytes) a due compaction no longer waits for a pause. */
export const COMPACT_BUSY_GROWTH = 1
/** Rooms whose snapshot and log reach this many bytes have snapshots built off the event loop. */
export const OFF_THREAD_SNAPSHOT_BYTES = 256 * 1024

/** A room's log since its snapshot, and the snapshot's size. */
export interface LogSize {
  /** Batches stored since the snapshot. */
  count: number
  /** Their bytes. */
  bytes: number
  snapshotBytes: number
}

export interface CompactionOptions {
  /** Compact after this many stored batches. */
  compactEvery: number
  /** How long a due compaction waits for a pause (0: none). */
  quietMs: number
}

export const CompactionDue = { No: 'no', AfterPause: 'after-pause', Now: 'now' } as const
export type CompactionDue = (typeof CompactionDue)[keyof typeof CompactionDue]

/** Whether a room's log is due for compaction; `paused`: the room has been quiet for `quietMs`. */
export function compactionDue(
  log: LogSize,
  { compactEvery, quietMs }: CompactionOptions,
  paused: boolean,
): CompactionDue {
  if (log.count < compactEvery) return CompactionDue.No
  if (log.bytes < log.snapshotBytes * COMPACT_MIN_GROWTH) return CompactionDue.No
  if (!paused && quietMs > 0 && log.bytes < log.snapshotBytes * COMPACT_BUSY_GROWTH)
    return CompactionDue.AfterPause
  return CompactionDue.Now
}

/**
 * Whether a room's snapshots are built by the store off the event loop (when it can), in a pause
 * too: a pause says nothing of the next second, and a mark arriving meanwhile would wait.
 */
export function buildsOffThread(
  storeCanBuild: boolean,
  log: LogSize,
  threshold = OFF_THREAD_SNAPSHOT_BYTES,
): boolean {
  return storeCanBuild && log.snapshotBytes + log.bytes >= threshold
}

/** Batches stored while a snapshot is built; they follow it in the cold-join cache. */
export interface SinceSnapshot {
  frames: Uint8Array[]
  bytes: number
  /** So much was stored that the cold-join cache as it stands is as good: frames are dropped. */
  overflow: boolean
}

/** Keeps a frame stored while a snapshot is built, until they pass the cold-join cache's bound. */
export function keepSinceSnapshot(since: SinceSnapshot, frame: Uint8Array, log: LogSize): void {
  if (since.overflow) return
  since.frames.push(frame)
  since.bytes += frame.byteLength
  if (
    since.frames.length > COLD_MAX_FRAMES ||
    since.bytes > Math.max(log.snapshotBytes, log.bytes) * COLD_MAX_GROWTH
  ) {
    since.overflow = true
    since.frames = []
  }
}
