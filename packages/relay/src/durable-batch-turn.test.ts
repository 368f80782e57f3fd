/**
 * [§4 durable] Every room's batch of one event-loop turn reaches the store in one callback
 * (durable-batch.ts), so the SQLite store, which commits what was appended once the callback's
 * microtasks run, stores them all in one commit (one fsync) — not the first room's alone with the
 * others waiting for it, as when each room closed its batch in its own callback.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DurableBatches, type BatchRoom } from './durable-batch.ts'
import { createMetrics } from './metrics.ts'
import { createSqliteStorage } from './storage/sqlite.ts'

const room = (name: string, stored: string[]): BatchRoom => ({
  name,
  failure: () => null,
  stored: () => void stored.push(name),
  afterStored: () => {},
  storeFailed: () => {},
})

describe('[§4 durable] batches of many rooms in one turn', () => {
  it('[§4 durable] the batches 20 rooms close in one turn are stored in one commit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-batch-turn-')), 'relay.db')
    // Every commit on the writer thread, as under load (no commit on the loop after a quiet spell).
    const storage = createSqliteStorage({ path, inlineAfterQuietMs: Infinity })
    try {
      await storage.whenWriterReady()
      const metrics = createMetrics()
      const stored: string[] = []
      const rooms = Array.from(
        { length: 20 },
        (_, i) => new DurableBatches(room(`inbox:r${i}`, stored), storage, metrics, 0),
      )
      const before = storage.appendCommits
      rooms.forEach((b, i) => b.add(new Uint8Array([i + 1]), 'writer', null))
      await Promise.all(rooms.map((b) => b.durable()))
      expect(stored).toHaveLength(20)
      expect(storage.appendCommits - before).toBe(1)
    } finally {
      await storage.close()
    }
  })
})
