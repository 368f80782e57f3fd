import { describe, expect, it } from 'vitest'
import { COLD_MAX_FRAMES, type ColdJoinCache } from './cold-join-cache.ts'
import { Compactor, type CompactedRoom } from './compaction.ts'
import { createMetrics } from './metrics.ts'
import {
  CompactionDue,
  OFF_THREAD_SNAPSHOT_BYTES,
  buildsOffThread,
  compactionDue,
  keepSinceSnapshot,
  type SinceSnapshot,
} from './compaction-policy.ts'

const options = { compactEvery: 10, quietMs: 0 }

describe('[§4 bounded] when a room compacts its log', () => {
  it('not before compactEvery stored batches', () => {
    const log = { count: 9, bytes: 1_000, snapshotBytes: 0 }
    expect(compactionDue(log, options, false)).toBe(CompactionDue.No)
    expect(compactionDue({ ...log, count: 10 }, options, false)).toBe(CompactionDue.Now)
  })

  it('a big room only once its log grew by a quarter of the last snapshot', () => {
    const log = { count: 50, bytes: 249, snapshotBytes: 1_000 }
    expect(compactionDue(log, options, false)).toBe(CompactionDue.No)
    expect(compactionDue({ ...log, bytes: 250 }, options, false)).toBe(CompactionDue.Now)
  })

  it('[§4 durable] a busy room waits for a pause, until its log is as big as the snapshot', () => {
    const quiet = { compactEvery: 10, quietMs: 1_000 }
    const log = { count: 50, bytes: 500, snapshotBytes: 1_000 }
    expect(compactionDue(log, quiet, false)).toBe(CompactionDue.AfterPause)
    expect(compactionDue(log, quiet, true)).toBe(CompactionDue.Now)
    expect(compactionDue({ ...log, bytes: 1_000 }, quiet, false)).toBe(CompactionDue.Now)
    expect(compactionDue(log, options, false)).toBe(CompactionDue.Now)
  })
})

describe('where a snapshot is built', () => {
  it('by the store off the event loop once snapshot and log reach the threshold, if it can', () => {
    const log = { count: 1, bytes: 100, snapshotBytes: OFF_THREAD_SNAPSHOT_BYTES - 100 }
    expect(buildsOffThread(true, log)).toBe(true)
    expect(buildsOffThread(false, log)).toBe(false)
    expect(buildsOffThread(true, { ...log, bytes: 99 })).toBe(false)
    expect(buildsOffThread(true, { count: 0, bytes: 0, snapshotBytes: 10 }, 10)).toBe(true)
  })

  it('from the store’s own threshold when the relay sets none (PostgreSQL’s is lower), the relay’s first', () => {
    const compactor = (storageBytes: number | undefined, relayBytes?: number) =>
      new Compactor(
        {} as CompactedRoom,
        {
          storage: {
            compact: async () => {},
            buildSnapshot: async () => ({ update: new Uint8Array() }),
            ...(storageBytes === undefined ? {} : { offThreadSnapshotBytes: storageBytes }),
          },
          metrics: createMetrics(),
          compactEvery: 10,
          ...(relayBytes === undefined ? {} : { offThreadSnapshotBytes: relayBytes }),
          cold: {} as ColdJoinCache,
          logError: () => {},
        },
        { count: 1, bytes: 1_000, snapshotBytes: 1_000 },
      )
    expect(compactor(undefined).offThread).toBe(false)
    expect(compactor(2_000).offThread).toBe(true)
    expect(compactor(2_000, 4_000).offThread).toBe(false)
  })
})

describe('batches stored while a snapshot is built', () => {
  const since = (): SinceSnapshot => ({ frames: [], bytes: 0, overflow: false })

  it('are kept to follow the snapshot in the cold-join answer', () => {
    const kept = since()
    const log = { count: 3, bytes: 4_000, snapshotBytes: 10_000 }
    keepSinceSnapshot(kept, new Uint8Array(100), log)
    keepSinceSnapshot(kept, new Uint8Array(200), log)
    expect(kept).toMatchObject({ bytes: 300, overflow: false })
    expect(kept.frames).toHaveLength(2)
  })

  it('are dropped past a quarter of the state, or past the frame bound', () => {
    const log = { count: 3, bytes: 1_000, snapshotBytes: 4_000 }
    const big = since()
    keepSinceSnapshot(big, new Uint8Array(1_001), log)
    expect(big).toEqual({ frames: [], bytes: 1_001, overflow: true })
    keepSinceSnapshot(big, new Uint8Array(1), log)
    expect(big.frames).toEqual([])

    const many = since()
    for (let i = 0; i <= COLD_MAX_FRAMES; i++) keepSinceSnapshot(many, new Uint8Array(1), log)
    expect(many.overflow).toBe(true)
  })
})
