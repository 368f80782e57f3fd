import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'
import { decodeMessage } from './protocol.ts'
import { Room, type Peer } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'

function peer(): Peer & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = []
  return {
    memberId: 'm-alice',
    memberName: 'Alice',
    wantsAcks: false,
    awarenessClientId: null,
    frames,
    send: (f) => frames.push(f),
    close: () => {},
  }
}

/** What a cold client ends up with after applying every frame it was sent. */
function replay(frames: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  for (const f of frames) {
    const m = decodeMessage(f)
    if (m.type !== 'update') throw new Error(`unexpected ${m.type}`)
    Y.applyUpdate(doc, m.update)
  }
  return doc
}

const settle = () => new Promise((r) => setImmediate(r))

describe('cold-join cache', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  it('[§4 cheap joins] a cold join after many stored batches gets the whole state in at most ~1.25× its encoded size', async () => {
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
      }
    }
    await storage.close()
  })
})
