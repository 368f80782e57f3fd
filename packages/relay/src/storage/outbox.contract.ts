/** @module The Outbox contract suite: every backend runs it (`runOutboxContract`). */
import { afterEach, describe, expect, it } from 'vitest'
import type { NewOutboxRow, Outbox } from './outbox.ts'

export interface OutboxHarness {
  outbox: Outbox
  /** Close this outbox and open the same store again (a restart). */
  reopen(): Promise<OutboxHarness>
  close(): Promise<void>
}

const reply = (activityId: string, extra: Partial<NewOutboxRow> = {}): NewOutboxRow => ({
  activityId,
  attempt: 1,
  phoneNumberId: 'pn1',
  conversationId: 'c1',
  memberId: 'm1',
  provider: 'twilio',
  from: '+14155550100',
  to: '+14155550199',
  body: 'On our way',
  createdAt: 1000,
  ...extra,
})

export function runOutboxContract(name: string, make: () => Promise<OutboxHarness>) {
  describe(`Outbox contract: ${name}`, () => {
    let open: OutboxHarness[] = []
    const harness = async () => {
      const h = await make()
      open.push(h)
      return h
    }
    afterEach(async () => {
      for (const h of open) await h.close().catch(() => {})
      open = []
    })

    it('[O1] an enqueued reply is due at once, in the order enqueued, and survives a restart', async () => {
      const h = await harness()
      h.outbox.enqueueOutgoing(reply('a'))
      h.outbox.enqueueOutgoing(reply('b'))
      h.outbox.enqueueOutgoing(reply('later', { createdAt: 5000 }))
      const again = await h.reopen()
      open.push(again)
      expect(again.outbox.dueOutgoing(1000, 10).map((r) => r.activityId)).toEqual(['a', 'b'])
      expect(again.outbox.dueOutgoing(5000, 1).map((r) => r.activityId)).toEqual(['a'])
      expect(again.outbox.getOutgoing('a')).toMatchObject({
        ...reply('a'),
        state: 'queued',
        dueAt: 1000,
        tries: 0,
      })
      expect(again.outbox.getOutgoing('nope')).toBeNull()
    })

    it('[O2] a row is taken in flight once; a retry queues it again later with one more try', async () => {
      const { outbox: o } = await harness()
      o.enqueueOutgoing(reply('a'))
      expect(o.startOutgoing('a', 1, 1100)).toBe(true)
      expect(o.startOutgoing('a', 1, 1100)).toBe(false)
      expect(o.startOutgoing('a', 2, 1100)).toBe(false)
      expect(o.dueOutgoing(9999, 10)).toEqual([])
      expect(o.inFlightOutgoing().map((r) => r.activityId)).toEqual(['a'])
      o.retryOutgoing('a', 1, 3000, 'provider answered 503')
      expect(o.inFlightOutgoing()).toEqual([])
      expect(o.dueOutgoing(2999, 10)).toEqual([])
      expect(o.getOutgoing('a')).toMatchObject({ state: 'queued', dueAt: 3000, tries: 1 })
      expect(o.startOutgoing('a', 1, 3000)).toBe(true)
      expect(o.getOutgoing('a')?.startedAt).toBe(3000)
    })

    it('[O4] a row left in flight is still in flight after a restart', async () => {
      const h = await harness()
      h.outbox.enqueueOutgoing(reply('a'))
      h.outbox.startOutgoing('a', 1, 1200)
      const again = await h.reopen()
      open.push(again)
      expect(again.outbox.inFlightOutgoing()).toMatchObject([
        { activityId: 'a', state: 'in-flight', startedAt: 1200 },
      ])
    })

    it('[O3] an outcome settles the current attempt only, and the provider id finds the row', async () => {
      const { outbox: o } = await harness()
      o.enqueueOutgoing(reply('a'))
      o.startOutgoing('a', 1, 1100)
      o.settleOutgoing('a', 1, 'sent', { providerMessageId: 'SM1' })
      expect(o.getOutgoing('a')).toMatchObject({
        state: 'done',
        outcome: 'sent',
        providerMessageId: 'SM1',
      })
      expect(o.outgoingByProviderId('twilio', 'SM1')?.activityId).toBe('a')
      expect(o.outgoingByProviderId('telnyx', 'SM1')).toBeNull()
      o.settleOutgoing('a', 1, 'failed', { reason: '30003 Unreachable' })
      expect(o.getOutgoing('a')).toMatchObject({
        outcome: 'failed',
        reason: '30003 Unreachable',
        providerMessageId: 'SM1',
      })
      o.settleOutgoing('a', 7, 'delivered')
      expect(o.getOutgoing('a')?.outcome).toBe('failed')
    })

    it('[D3] a resend replaces the row with the next attempt, queued behind what waits', async () => {
      const { outbox: o } = await harness()
      o.enqueueOutgoing(reply('a'))
      o.startOutgoing('a', 1, 1100)
      o.settleOutgoing('a', 1, 'failed', { reason: 'bad number', providerMessageId: 'SM1' })
      o.enqueueOutgoing(reply('b', { createdAt: 2000 }))
      o.enqueueOutgoing(reply('a', { attempt: 2 }), 2000)
      expect(o.dueOutgoing(2000, 10).map((r) => [r.activityId, r.attempt])).toEqual([
        ['b', 1],
        ['a', 2],
      ])
      const row = o.getOutgoing('a')
      expect(row).toMatchObject({ attempt: 2, state: 'queued', tries: 0, createdAt: 1000 })
      expect(row).not.toHaveProperty('outcome')
      expect(row).not.toHaveProperty('providerMessageId')
      expect(o.outgoingByProviderId('twilio', 'SM1')).toBeNull()
    })

    it('the oldest unsent reply is the earliest attempt queued and not settled, in flight included', async () => {
      const h = await harness()
      const o = h.outbox
      expect(o.oldestUnsent()).toBeNull()
      o.enqueueOutgoing(reply('a', { createdAt: 1000 }))
      o.enqueueOutgoing(reply('b', { createdAt: 2000 }))
      expect(o.oldestUnsent()).toBe(1000)
      expect(o.startOutgoing('a', 1, 1500)).toBe(true)
      expect(o.oldestUnsent()).toBe(1000)
      o.settleOutgoing('a', 1, 'failed', { reason: 'no' })
      expect(o.oldestUnsent()).toBe(2000)
      // A resend counts from when it was queued, not from the reply's creation.
      o.enqueueOutgoing(reply('a', { attempt: 2, createdAt: 1000 }), 5000)
      o.startOutgoing('b', 1, 2100)
      o.settleOutgoing('b', 1, 'sent', { providerMessageId: 'SM1' })
      expect(o.oldestUnsent()).toBe(5000)
      const again = await h.reopen()
      open.push(again)
      expect(again.outbox.oldestUnsent()).toBe(5000)
    })

    it('a restored row is kept exactly as given, in flight or settled, and survives a restart', async () => {
      const h = await harness()
      const inFlight = {
        ...reply('a'),
        state: 'in-flight',
        dueAt: 1000,
        tries: 2,
        startedAt: 1500,
      } as const
      const settled = {
        ...reply('b', { attempt: 2 }),
        state: 'done',
        dueAt: 1200,
        tries: 0,
        startedAt: 1300,
        outcome: 'failed',
        reason: 'carrier refused',
        providerMessageId: 'SM1',
      } as const
      h.outbox.restoreOutgoing(inFlight, 900)
      h.outbox.restoreOutgoing(settled, 1200)
      const again = await h.reopen()
      open.push(again)
      expect(again.outbox.getOutgoing('a')).toEqual(inFlight)
      expect(again.outbox.getOutgoing('b')).toEqual(settled)
      expect(again.outbox.inFlightOutgoing().map((r) => r.activityId)).toEqual(['a'])
      expect(again.outbox.outgoingByProviderId('twilio', 'SM1')?.activityId).toBe('b')
      expect(again.outbox.oldestUnsent()).toBe(900)
    })
  })
}
