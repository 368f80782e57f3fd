/**
 * @module The cold-join cache. A client joining with an empty state vector is sent a sync step 2
 * of the room's encoded state (the base), then the batches stored since it was encoded. The
 * cache is dropped, and encoded again at the next cold join, once those batches pass a quarter of
 * the base: a cold join is sent at most ~1.25× the state, never the base and every later frame.
 */
import { encodeSyncStep2, encodeUpdate } from '@switchboard/protocol'
import type { BuiltSnapshot } from './storage/relay-storage.ts'

/** A cached answer is dropped past this many frames after its base, or this fraction of it. */
export const COLD_MAX_FRAMES = 256
export const COLD_MAX_GROWTH = 0.25

/** A cold-join answer: a sync step 2 base, then the update frames stored since it was encoded. */
export interface ColdAnswer {
  frames: Uint8Array[]
  bytes: number
  baseBytes: number
}

/** A cold-join answer from a sync step 2 `base` and the update frames stored since. */
export function coldAnswer(base: Uint8Array, since: readonly Uint8Array[] = []): ColdAnswer {
  const cold: ColdAnswer = { frames: [base], bytes: base.byteLength, baseBytes: base.byteLength }
  for (const frame of since) {
    cold.frames.push(frame)
    cold.bytes += frame.byteLength
  }
  return cold
}

/** True when the frames after the base are past the bound a cached answer keeps. */
export const coldOutgrown = (cold: ColdAnswer): boolean =>
  cold.frames.length > COLD_MAX_FRAMES ||
  cold.bytes - cold.baseBytes > cold.baseBytes * COLD_MAX_GROWTH

/**
 * The cold-join answer of a room just loaded, from the stored bytes themselves: the snapshot is
 * the encoded state at its compaction, and the log entries after it are what a live room would
 * have appended to its cache since, so the first cold join after a restart does not encode the
 * whole document again. None when there is no snapshot or the log is past the bound.
 */
export function coldFromStore(
  snapshot: Uint8Array | null,
  updates: readonly { data: Uint8Array }[],
): ColdAnswer | null {
  if (!snapshot || updates.length + 1 > COLD_MAX_FRAMES) return null
  const cold = coldAnswer(
    encodeSyncStep2(snapshot),
    updates.map((u) => encodeUpdate(u.data)),
  )
  return coldOutgrown(cold) ? null : cold
}

/** Where a room's cold-join answer comes from when none is cached (the room's Compactor). */
export interface ColdSource {
  /** Whether the room's state is built by the store off the event loop, not encoded here. */
  readonly offThread: boolean
  /** The document's state, encoded here. */
  encode(): Uint8Array
  /** The state as stored, built by the store off the event loop. */
  build(): Promise<BuiltSnapshot>
  /** A build failed: the answer is then encoded here. */
  onBuildFailed(err: unknown): void
}

/** A cold-join answer being built off the event loop: who waits, and what was stored since. */
interface ColdBuild {
  since: Uint8Array[]
  waiters: ((frames: Uint8Array[]) => void)[]
}

/** One room's cold-join answer: cached, extended by each stored batch, rebuilt when outgrown. */
export class ColdJoinCache {
  #cached: ColdAnswer | null
  #build: ColdBuild | null = null

  constructor(cached: ColdAnswer | null = null) {
    this.#cached = cached
  }

  /**
   * Calls `use` with the frames of a cold join: the cached answer, or one encoded now, or (a big
   * room) one built by the store; joiners then wait for that one build, with what is stored
   * meanwhile.
   */
  frames(source: ColdSource, use: (frames: Uint8Array[]) => void): void {
    if (this.#cached) return use(this.#cached.frames.slice())
    if (!source.offThread) return use(this.#encode(source).frames.slice())
    if (this.#build) return void this.#build.waiters.push(use)
    const build: ColdBuild = { since: [], waiters: [use] }
    this.#build = build
    source.build().then(
      (built) => {
        this.#build = null
        const cold = coldAnswer(built.syncStep2 ?? encodeSyncStep2(built.update), build.since)
        if (!this.#cached && !coldOutgrown(cold)) this.#cached = cold
        for (const waiter of build.waiters) waiter(cold.frames.slice())
      },
      (err: unknown) => {
        this.#build = null
        source.onBuildFailed(err)
        const frames = this.#encode(source).frames
        for (const waiter of build.waiters) waiter(frames.slice())
      },
    )
  }

  /** A batch was stored: its frame follows the cached answer and any answer being built. */
  stored(frame: Uint8Array): void {
    this.#build?.since.push(frame)
    const cold = this.#cached
    if (!cold) return
    cold.frames.push(frame)
    cold.bytes += frame.byteLength
    if (coldOutgrown(cold)) this.#cached = null
  }

  /** A snapshot was taken: it and the frames stored since are the answer, unless outgrown. */
  rebase(snapshotStep2: Uint8Array, since: readonly Uint8Array[]): void {
    const cold = coldAnswer(snapshotStep2, since)
    this.#cached = coldOutgrown(cold) ? null : cold
  }

  #encode(source: ColdSource): ColdAnswer {
    return (this.#cached = coldAnswer(encodeSyncStep2(source.encode())))
  }
}
