import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'
import { Room } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

const settle = () => new Promise((r) => setImmediate(r))

/** The room as storage would load it after a restart: snapshot, then the log. */
async function reload(storage: RelayStorage, name: string): Promise<Y.Doc> {
  const doc = new Y.Doc()
  const stored = await storage.loadRoom(name)
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return doc
}

describe('room compaction cadence', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  async function bigRoom(compactQuietMs = 0) {
    const storage = createMemoryStorage()
    const metrics = createMetrics()
    const room = await Room.load('inbox:pn-1', {
      storage,
      metrics,
      log: () => {},
      compactEvery: 5,
      compactQuietMs,
    })
    rooms.push(room)
    const marks = room.doc.getMap('marks')
    // ~200 KB in one batch, then 5 batches: the first snapshot (none yet) is taken at once.
    await room.transact(() => {
      for (let i = 0; i < 2_000; i++) marks.set(`c${i}`, 'x'.repeat(100))
    })
    for (let i = 0; i < 5; i++) await room.transact(() => marks.set(`small${i}`, i))
    await room.durable()
    await settle()
    expect(metrics.compactions).toBe(1)
    const snapshotBytes = (await storage.loadRoom('inbox:pn-1')).snapshot!.byteLength
    let written = 0
    /** Stores small batches until about `fraction` of the snapshot's bytes were logged. */
    const writeUpTo = async (fraction: number) => {
      for (let i = 0; written < snapshotBytes * fraction; i++) {
        await room.transact(() => marks.set(`c${i % 2_000}`, `${written}`.padEnd(100, 'y')))
        written += 110
      }
      await room.durable()
      await settle()
    }
    return { storage, metrics, room, marks, writeUpTo }
  }

  it('[§4 bounded] a big room snapshots only once its log grew by a quarter of the last snapshot; the stored state stays whole', async () => {
    const { storage, metrics, marks, writeUpTo } = await bigRoom()
    // Many small batches: count passes compactEvery long before bytes pass a quarter.
    await writeUpTo(0.2)
    expect(metrics.compactions).toBe(1)
    await writeUpTo(0.4)
    expect(metrics.compactions).toBe(2)
    // Snapshot + log still load as the room.
    expect((await reload(storage, 'inbox:pn-1')).getMap('marks').toJSON()).toEqual(marks.toJSON())
  })

  // A busy room (compactQuietMs): the snapshot's encode stops every ack of the room while it runs.
  it('[§4 durable] a due compaction waits while batches keep coming, yet every acknowledged batch is stored; past a log as big as the snapshot it runs at once', async () => {
    // Never quiet within the test: only the growth bound can start the second compaction.
    const { storage, metrics, marks, writeUpTo } = await bigRoom(3_600_000)
    await writeUpTo(0.5)
    expect(metrics.compactions).toBe(1)
    // Nothing the room acknowledged is missing from storage while the compaction waits.
    expect((await reload(storage, 'inbox:pn-1')).getMap('marks').toJSON()).toEqual(marks.toJSON())
    await writeUpTo(1.1)
    expect(metrics.compactions).toBe(2)
    expect((await reload(storage, 'inbox:pn-1')).getMap('marks').toJSON()).toEqual(marks.toJSON())
  })

  it('[§4 durable] the waiting compaction runs once the room pauses, and snapshot + log still load as the room', async () => {
    const { storage, metrics, marks, writeUpTo } = await bigRoom(20)
    await writeUpTo(0.5)
    // Waits for the event, not for a time: the pause comes once the writes above stopped.
    while (metrics.compactions < 2) await new Promise((r) => setTimeout(r, 10))
    const stored = await storage.loadRoom('inbox:pn-1')
    expect(stored.updates.length).toBe(0)
    expect((await reload(storage, 'inbox:pn-1')).getMap('marks').toJSON()).toEqual(marks.toJSON())
  })
})
