import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'
import { Room } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'

const settle = () => new Promise((r) => setImmediate(r))

describe('room compaction cadence', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  it('[§4 bounded] a big room snapshots only once its log grew by a quarter of the last snapshot; the stored state stays whole', async () => {
    const storage = createMemoryStorage()
    const metrics = createMetrics()
    const room = await Room.load('inbox:pn-1', { storage, metrics, log: () => {}, compactEvery: 5 })
    rooms.push(room)
    const marks = room.doc.getMap('marks')
    // ~200 KB of state in one batch, then 5 batches: the first snapshot (nothing stored yet).
    await room.transact(() => {
      for (let i = 0; i < 2_000; i++) marks.set(`c${i}`, 'x'.repeat(100))
    })
    for (let i = 0; i < 5; i++) await room.transact(() => marks.set(`small${i}`, i))
    await room.durable()
    await settle()
    expect(metrics.compactions).toBe(1)
    const snapshotBytes = (await storage.loadRoom('inbox:pn-1')).snapshot!.byteLength
    // Many small batches: count passes compactEvery long before bytes pass a quarter.
    let written = 0
    for (let i = 0; written < snapshotBytes * 0.2; i++) {
      await room.transact(() => marks.set(`c${i % 2_000}`, 'y'.repeat(100)))
      written += 110
    }
    await room.durable()
    await settle()
    expect(metrics.compactions).toBe(1)
    for (let i = 0; written < snapshotBytes * 0.4; i++) {
      await room.transact(() => marks.set(`c${i % 2_000}`, 'z'.repeat(100)))
      written += 110
    }
    await room.durable()
    await settle()
    expect(metrics.compactions).toBe(2)
    // Snapshot + log still load as the room.
    const reloaded = new Y.Doc()
    const stored = await storage.loadRoom('inbox:pn-1')
    Y.applyUpdate(reloaded, stored.snapshot!)
    for (const u of stored.updates) Y.applyUpdate(reloaded, u.data)
    expect(reloaded.getMap('marks').toJSON()).toEqual(marks.toJSON())
  })
})
