import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  accepted,
  deliveryOf,
  parseRoom,
  setDelivery,
  validateUpdate,
  type Delivery,
  type Room,
} from '../src/index.ts'

const at = 1_700_000_000_000
const d = (state: Delivery['state'], attempt = 1, extra: Partial<Delivery> = {}): Delivery => ({
  state,
  attempt,
  at,
  ...extra,
})

describe('[D1]–[D4] a reply’s delivery', () => {
  it('[D1] is kept per outgoing activity in the conversation document’s delivery map', () => {
    const doc = new Y.Doc()
    expect(deliveryOf(doc, 'out-1')).toBeNull()
    expect(setDelivery(doc, 'out-1', d('sending'))).toBe(true)
    expect(deliveryOf(doc, 'out-1')).toEqual(d('sending'))
    expect(deliveryOf(doc, 'out-2')).toBeNull()
    // A replica that receives the relay's update reads the same.
    const replica = new Y.Doc()
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc))
    expect(deliveryOf(replica, 'out-1')).toEqual(d('sending'))
  })

  it('[D1] a member’s update that writes a delivery is refused: only the relay reports them', () => {
    const relay = new Y.Doc()
    const replica = new Y.Doc()
    const updates: Uint8Array[] = []
    replica.on('update', (u: Uint8Array) => updates.push(u))
    setDelivery(replica, 'out-1', d('delivered'))
    const verdict = validateUpdate(relay, Y.mergeUpdates(updates), {
      room: parseRoom('conversation:c1') as Room,
      memberId: 'alice',
      now: at,
      maxDrift: 60_000,
    })
    expect(verdict).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('[D2] moves only forward within an attempt: a late or repeated report changes nothing', () => {
    const doc = new Y.Doc()
    setDelivery(doc, 'out-1', d('sending'))
    expect(setDelivery(doc, 'out-1', d('sent', 1, { providerMessageId: 'SM1' }))).toBe(true)
    expect(setDelivery(doc, 'out-1', d('delivered', 1, { providerMessageId: 'SM1' }))).toBe(true)
    expect(setDelivery(doc, 'out-1', d('sent', 1))).toBe(false)
    expect(setDelivery(doc, 'out-1', d('delivered', 1))).toBe(false)
    expect(setDelivery(doc, 'out-1', d('sending', 1))).toBe(false)
    expect(deliveryOf(doc, 'out-1')?.state).toBe('delivered')
    // Unknown is resolved by what the provider says later, never the other way round.
    setDelivery(doc, 'out-2', d('sending'))
    expect(setDelivery(doc, 'out-2', d('unknown', 1, { reason: 'no answer' }))).toBe(true)
    expect(setDelivery(doc, 'out-2', d('sending', 1))).toBe(false)
    expect(setDelivery(doc, 'out-2', d('failed', 1, { reason: '21610 unsubscribed' }))).toBe(true)
    expect(setDelivery(doc, 'out-2', d('unknown', 1))).toBe(false)
    expect(deliveryOf(doc, 'out-2')).toEqual(d('failed', 1, { reason: '21610 unsubscribed' }))
  })

  it('[D3] a resend is a new attempt: it starts at Sending, and the old attempt’s reports no longer count', () => {
    const doc = new Y.Doc()
    setDelivery(doc, 'out-1', d('failed', 1, { reason: 'carrier' }))
    expect(setDelivery(doc, 'out-1', d('sending', 2))).toBe(true)
    expect(setDelivery(doc, 'out-1', d('delivered', 1))).toBe(false)
    expect(deliveryOf(doc, 'out-1')).toEqual(d('sending', 2))
    expect(setDelivery(doc, 'out-1', d('sent', 2))).toBe(true)
  })

  it('[D4] only a reply the provider took counts as a response (or one that never went through the outbox)', () => {
    expect(accepted(null)).toBe(true)
    expect(accepted(d('sent'))).toBe(true)
    expect(accepted(d('delivered'))).toBe(true)
    expect(accepted(d('sending'))).toBe(false)
    expect(accepted(d('unknown'))).toBe(false)
    expect(accepted(d('failed'))).toBe(false)
  })
})
