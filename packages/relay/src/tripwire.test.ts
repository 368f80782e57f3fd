/**
 * [M8] The tripwire behind admission: when applying an admitted update deletes what its
 * admission did not predict, or the apply throws, nothing is stored or broadcast, the sender is
 * told by the caller, the room's other sockets get 1012, and the room reloads from its log.
 */
import { admitUpdate, parseRoom, type Admitted, type Room as RoomName } from '@switchboard/core'
import { craftUpdate } from '@switchboard/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMetrics } from './metrics.ts'
import { CloseCode } from '@switchboard/protocol'
import { Room, type Peer } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'
import { recordingPeer } from './test-helpers.ts'

const rooms: Room[] = []
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy()
})

async function loaded(storage = createMemoryStorage()) {
  const room = await Room.load('conversation:c1', {
    storage,
    metrics: createMetrics(),
    log: () => {},
    compactEvery: 1e6,
  })
  rooms.push(room)
  return { room, storage }
}

function closing(): Peer & { closed: number[] } {
  const closed: number[] = []
  return { ...recordingPeer(), closed, close: (code: number) => void closed.push(code) }
}

const ctx = {
  room: parseRoom('conversation:c1') as RoomName,
  memberId: 'carol',
  now: Date.now(),
  maxDrift: 60_000,
}

describe('[M8] tripwire', () => {
  it('[M8] a deletion the admission did not predict stores and broadcasts nothing; the room reloads from its log', async () => {
    const { room, storage } = await loaded()
    await room.transact((doc) => doc.getMap('activities').set('a1', { id: 'a1', body: 'hi' }))
    const writer = closing()
    const other = closing()
    room.join(writer)
    room.join(other)
    const activity = room.doc.getMap('activities')._map.get('a1')!
    // An update that deletes the activity, judged by an admission that predicted nothing (as a
    // flaw in the predictor would): the tripwire must catch it.
    const update = craftUpdate([], [[activity.id.client, activity.id.clock, 1]])
    const blind: Admitted = {
      ok: true,
      update,
      decoded: Y.decodeUpdate(update),
      trimmed: false,
      mayDelete: new Map(),
    }
    const stored = (await storage.loadRoom('conversation:c1')).updates.length
    const decoded = Y.decodeUpdate(update)
    expect(room.applyUpdate(writer, update, decoded.structs, decoded.ds, { admitted: blind })).toBe(
      false,
    )
    expect(room.failed).toBe(true)
    expect(other.closed).toEqual([CloseCode.Reloading])
    expect(writer.closed).toEqual([])
    await room.durable().catch(() => {})
    expect((await storage.loadRoom('conversation:c1')).updates.length).toBe(stored)
    const { room: again } = await loaded(storage)
    expect(again.doc.getMap('activities').get('a1')).toEqual({ id: 'a1', body: 'hi' })
  })

  it('[M8] an apply that breaks off halfway stores and broadcasts nothing', async () => {
    const { room, storage } = await loaded()
    // A garbage-collected struct already in the room (stored before admission refused them),
    // and an item attached to it that overlaps its clocks: Yjs throws while integrating.
    const gc = craftUpdate([{ kind: 'gc', client: 900_001, clock: 0, length: 2 }])
    await room.transact((doc) => Y.applyUpdate(doc, gc))
    const broken = craftUpdate([
      { client: 900_001, clock: 1, parent: 'notes', parentSub: 'k', content: { any: ['x', 'y'] } },
    ])
    expect(admitUpdate(room.doc, broken, ctx)).toMatchObject({ ok: false, code: 'schema' })
    // Applied as if an admission had let it through (a flaw in the predictor):
    const decoded = Y.decodeUpdate(broken)
    const writer = closing()
    room.join(writer)
    const stored = (await storage.loadRoom('conversation:c1')).updates.length
    const admitted: Admitted = {
      ok: true,
      update: broken,
      decoded,
      trimmed: false,
      mayDelete: new Map(),
    }
    const applied = room.applyUpdate(writer, broken, decoded.structs, decoded.ds, { admitted })
    expect(applied).toBe(false)
    await room.durable().catch(() => {})
    expect((await storage.loadRoom('conversation:c1')).updates.length).toBe(stored)
  })
})
