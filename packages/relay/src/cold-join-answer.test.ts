/**
 * What a cold joiner (an empty state vector) is sent: the whole state, at most ~1.25× its encoded
 * size however many batches were stored since it was encoded, its one sync step 2 last, so
 * y-websocket counts itself synced only once it holds all of it (DESIGN §4, cheap joins).
 */
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'
import { decodeMessage, encodeSyncStep2, encodeUpdate } from '@switchboard/protocol'
import { Room } from './room.ts'
import { applyFrames as apply, recordingPeer as peer } from './test-helpers.ts'
import { createMemoryStorage } from './storage/memory.ts'

/** What a cold client ends up with after applying every frame it was sent. */
const replay = (frames: Uint8Array[]) => apply(frames, false)

const settle = () => new Promise((r) => setImmediate(r))

/** What a y-websocket client holds at the moment it counts itself synced (its first step 2). */
const atSynced = (frames: Uint8Array[]) => apply(frames, true)

describe('[§4 cheap joins] a cold joiner is sent the whole state', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  it('[§4 cheap joins] after many stored batches, in at most ~1.25× its encoded size, and synced only with all of it', async () => {
    const storage = createMemoryStorage()
    const room = await Room.load('inbox:pn-1', {
      storage,
      metrics: createMetrics(),
      log: () => {},
      compactEvery: 1_000_000,
    })
    rooms.push(room)
    const marks = room.doc.getMap('marks')
    await room.transact(() => {
      for (let i = 0; i < 2_000; i++) marks.set(`c${i}`, { kind: 'done', n: i })
    })
    // A first cold join builds the cache; then batches keep arriving, each overwriting marks.
    const first = peer()
    room.syncStep1(first, Y.encodeStateVector(new Y.Doc()))
    await room.durable()
    await settle()
    for (let round = 0; round < 200; round++) {
      await room.transact(() => {
        for (let i = 0; i < 20; i++)
          marks.set(`c${(round * 20 + i) % 2_000}`, { kind: 'open', round })
      })
      const later = peer()
      room.syncStep1(later, Y.encodeStateVector(new Y.Doc()))
      await room.durable()
      await settle()
      const sent = later.frames.reduce((n, f) => n + f.byteLength, 0)
      const state = Y.encodeStateAsUpdate(room.doc).byteLength
      // The base is the state when it was cached (the state only grew since), plus ≤ 25% of it.
      expect(sent).toBeLessThanOrEqual(state * 1.25 + 64)
      if (round % 50 === 49) {
        // Nothing changed in what a cold client ends up with.
        const got = replay(later.frames)
        expect(got.getMap('marks').toJSON()).toEqual(marks.toJSON())
        expect(Y.encodeStateVector(got)).toEqual(Y.encodeStateVector(room.doc))
        got.destroy()
        // Reliability finding 5: synced (the step 2) means the whole state, not the base alone.
        expect(later.frames.length).toBeGreaterThan(1)
        const synced = atSynced(later.frames)
        expect(synced.getMap('marks').toJSON()).toEqual(marks.toJSON())
        expect(decodeMessage(later.frames.at(-1)!)).toMatchObject({ step: 'step-2' })
        synced.destroy()
      }
    }
    await storage.close()
  })

  const deps = (storage: ReturnType<typeof createMemoryStorage>) => ({
    storage,
    metrics: createMetrics(),
    log: () => {},
    compactEvery: 1_000_000,
  })

  it('[§4 cheap joins] by a room just loaded, as its stored snapshot and log, and the client ends up with the same doc', async () => {
    const storage = createMemoryStorage()
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 500; i++) source.getMap('marks').set(`c${i}`, { kind: 'done', n: i })
    const snapshot = Y.encodeStateAsUpdate(source)
    const upTo = await storage.appendUpdate('inbox:pn-1', snapshot)
    await storage.compact('inbox:pn-1', snapshot, upTo)
    updates.length = 0
    for (let i = 0; i < 20; i++) source.getMap('marks').set(`c${i}`, { kind: 'open', n: i })
    source.getMap('marks').delete('c499')
    for (const u of updates) await storage.appendUpdate('inbox:pn-1', u)

    const room = await Room.load('inbox:pn-1', deps(storage))
    rooms.push(room)
    const cold = peer()
    room.syncStep1(cold, Y.encodeStateVector(new Y.Doc()))
    await room.durable()
    await settle()
    // The stored bytes themselves, not a fresh encoding of the whole document; the base, the
    // one step 2, last (synced means the whole state).
    expect(cold.frames).toEqual([...updates.map(encodeUpdate), encodeSyncStep2(snapshot)])
    expect(atSynced(cold.frames).getMap('marks').toJSON()).toEqual(source.getMap('marks').toJSON())
    const got = replay(cold.frames)
    expect(got.getMap('marks').toJSON()).toEqual(room.doc.getMap('marks').toJSON())
    expect(got.getMap('marks').toJSON()).toEqual(source.getMap('marks').toJSON())
    expect(Y.encodeStateVector(got)).toEqual(Y.encodeStateVector(room.doc))
    got.destroy()
    await storage.close()
  })

  it('[§4 cheap joins] encoded once when the stored log is past a quarter of the snapshot, never the snapshot and the whole log', async () => {
    const storage = createMemoryStorage()
    const source = new Y.Doc()
    source.getMap('marks').set('c0', { kind: 'done' })
    const snapshot = Y.encodeStateAsUpdate(source)
    const upTo = await storage.appendUpdate('inbox:pn-1', snapshot)
    await storage.compact('inbox:pn-1', snapshot, upTo)
    source.on('update', (u: Uint8Array) => void storage.appendUpdate('inbox:pn-1', u))
    for (let i = 1; i < 50; i++) source.getMap('marks').set(`c${i}`, { kind: 'open', n: i })
    await storage.appendUpdate('inbox:pn-1', Y.encodeStateAsUpdate(new Y.Doc()))

    const room = await Room.load('inbox:pn-1', deps(storage))
    rooms.push(room)
    const cold = peer()
    room.syncStep1(cold, Y.encodeStateVector(new Y.Doc()))
    await room.durable()
    await settle()
    expect(cold.frames).toEqual([encodeSyncStep2(Y.encodeStateAsUpdate(room.doc))])
    const got = replay(cold.frames)
    expect(got.getMap('marks').toJSON()).toEqual(source.getMap('marks').toJSON())
    got.destroy()
    await storage.close()
  })
})
