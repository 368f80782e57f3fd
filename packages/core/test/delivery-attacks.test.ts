/**
 * A reply's delivery (SPEC [D1]) is the relay's to write: a member's hand-built client cannot
 * erase it with deleted items whose delete set was stripped, forge "delivered" over it, or push a
 * struct at a huge clock into it. Judged by admission as the relay runs it ([M8]).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { admitUpdate, deliveryRoot, parseRoom, setDelivery, type Room } from '../src/index.ts'
import { rootValues } from '../src/testing/index.ts'
import { craftUpdate } from '../src/testing/craft.ts'
import { T0 } from './helpers.ts'

const CAROL = 900_002
const ctx = {
  room: parseRoom('conversation:c1') as Room,
  memberId: 'carol',
  now: T0,
  maxDrift: 60_000,
}

function roomWithDeliveries() {
  const doc = new Y.Doc()
  setDelivery(doc, 'out-1', { state: 'failed', attempt: 1, at: T0, reason: 'carrier' })
  setDelivery(doc, 'out-2', { state: 'sending', attempt: 1, at: T0 })
  return doc
}

describe('[D1][M8] a member cannot touch a reply’s delivery, whatever bytes they send', () => {
  it('[D1][M8] deleted items over each delivery, delete set stripped, are refused; nothing changes', () => {
    const doc = roomWithDeliveries()
    const before = rootValues(doc)
    const map = deliveryRoot(doc)
    const erase = craftUpdate(
      ['out-1', 'out-2'].map((key, i) => ({
        client: CAROL,
        clock: i,
        origin: map._map.get(key)!.lastId,
        content: { deleted: 1 },
      })),
    )
    expect(admitUpdate(doc, erase, ctx)).toMatchObject({ ok: false, code: 'forbidden' })
    expect(rootValues(doc)).toEqual(before)
  })

  it('[D1][M8] a forged "delivered" over a failed reply is refused, at clock 0 or at a huge clock', () => {
    const doc = roomWithDeliveries()
    const map = deliveryRoot(doc)
    const forged = { state: 'delivered', attempt: 1, at: T0 }
    for (const clock of [0, 2 ** 31]) {
      const update = craftUpdate([
        { client: CAROL, clock, origin: map._map.get('out-1')!.lastId, content: { any: [forged] } },
      ])
      expect(admitUpdate(doc, update, ctx).ok).toBe(false)
    }
    expect(map.get('out-1')?.state).toBe('failed')
  })
})
