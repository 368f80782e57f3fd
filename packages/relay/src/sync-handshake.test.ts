/**
 * The relay's answers to a joining client: a warm client (one that has every struct) is sent only
 * the deletions it lacks, learned from its own sync step 2, never the whole delete set.
 */
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'
import { decodeMessage } from '@switchboard/protocol'
import { Room } from './room.ts'
import { recordingPeer as peer } from './test-helpers.ts'
import { createMemoryStorage } from './storage/memory.ts'

const settle = () => new Promise((r) => setImmediate(r))

const deps = (storage: ReturnType<typeof createMemoryStorage>) => ({
  storage,
  metrics: createMetrics(),
  log: () => {},
  compactEvery: 1_000_000,
})

describe('[§4 fast] a warm rejoin is sent only what it lacks', () => {
  const rooms: Room[] = []
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy()
  })

  it('[§4 fast] a warm rejoin after a deletion-only change is sent that deletion (the cached delete set follows the document)', async () => {
    const storage = createMemoryStorage()
    const room = await Room.load('inbox:pn-1', deps(storage))
    rooms.push(room)
    const marks = room.doc.getMap('marks')
    await room.transact(() => {
      for (let i = 0; i < 10; i++) marks.set(`c${i}`, { kind: 'done', n: i })
    })
    const client = new Y.Doc()
    Y.applyUpdate(client, Y.encodeStateAsUpdate(room.doc))
    /** A warm client rejoins: step 1 with its state vector, its step 2, the relay's answer. */
    const rejoin = async () => {
      const p = peer()
      room.syncStep1(p, Y.encodeStateVector(client))
      room.clientStep2(
        p,
        Y.decodeUpdate(Y.encodeStateAsUpdate(client, Y.encodeStateVector(room.doc))).ds,
      )
      await room.durable()
      await settle()
      for (const f of p.frames) {
        const m = decodeMessage(f)
        if (m.type === 'update') Y.applyUpdate(client, m.update)
      }
      return p.frames
    }
    await rejoin()
    expect(client.getMap('marks').toJSON()).toEqual(marks.toJSON())
    // A deletion adds no struct: the state vector stays, only the delete set changes.
    await room.transact(() => marks.delete('c3'))
    expect(Y.encodeStateVector(client)).toEqual(Y.encodeStateVector(room.doc))
    await rejoin()
    expect(client.getMap('marks').has('c3')).toBe(false)
    expect(client.getMap('marks').toJSON()).toEqual(marks.toJSON())
    await storage.close()
  })
})
