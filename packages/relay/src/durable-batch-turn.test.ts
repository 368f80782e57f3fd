/**
 * [§4 durable] Every room's batch of one event-loop turn reaches the store in one callback
 * (durable-batch.ts), so the SQLite store, which commits what was appended once the callback's
 * microtasks run, stores them all in one commit (one fsync) — not the first room's alone with the
 * others waiting for it, as when each room closed its batch in its own callback. On PostgreSQL
 * the store is told the turn's appends were handed over (`turnEnded`) and sends them at once,
 * where its own end-of-turn callback would have run only in the next loop iteration.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DurableBatches, type BatchRoom } from './durable-batch.ts'
import { createMetrics } from './metrics.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { createPostgresStorage } from './storage/postgres.ts'
import { createTestDatabase } from './testing/postgres.ts'

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

describe('[§4 durable] batches of many rooms in one turn, on PostgreSQL', () => {
  it('[§4 durable] the turn’s batches go out as one statement before the next turn, not after it', async () => {
    const storage = await createPostgresStorage({
      url: await createTestDatabase(),
      relayId: 'turn',
      max: 2,
    })
    try {
      const names = Array.from({ length: 20 }, (_, i) => `inbox:p${i}`)
      for (const name of names) await storage.loadRoom(name)
      // The statement is sent when postgres.js is asked for it: record which callback that was in.
      let phase = 'before'
      const unsafe = storage.sql.unsafe.bind(storage.sql)
      const sentIn: string[] = []
      storage.sql.unsafe = ((...args: Parameters<typeof unsafe>) => {
        sentIn.push(phase)
        return unsafe(...args)
      }) as typeof unsafe
      const metrics = createMetrics()
      const stored: string[] = []
      const rooms = names.map((n) => new DurableBatches(room(n, stored), storage, metrics, 0))
      const before = storage.appendCommits
      rooms.forEach((b, i) => b.add(new Uint8Array([i + 1]), 'writer', null))
      // Queued after the batches' own callback, so it runs right after it in the same turn: an
      // appender that waited for its own callback would only have queued it for the next turn.
      setImmediate(() => (phase = 'after'))
      await Promise.all(rooms.map((b) => b.durable()))
      expect(stored).toHaveLength(20)
      expect(storage.appendCommits - before).toBe(1)
      expect(sentIn).toEqual(['before'])
    } finally {
      await storage.close()
    }
  })
})
