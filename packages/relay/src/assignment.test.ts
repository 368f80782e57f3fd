/**
 * Assignment respects access (packages/core/SPEC.md [G1]–[G2]), on real sockets: the relay refuses
 * an update that assigns a member without access to the room's number with 4422 and a reason that
 * names them, and stores nothing of it; unassigning stays allowed after access is revoked.
 */
import { assignConversation, getConversation } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  trackAcks,
  until,
  type Client,
  type TestRelay,
} from './test-helpers.ts'

const opened: { close(): unknown }[] = []
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close()
})

async function relayWithConversation(): Promise<TestRelay> {
  const r = await startTestRelay()
  opened.push(r)
  expect((await r.webhook(incoming('c-1', 'pn-a'))).ok).toBe(true)
  return r
}

async function join(r: TestRelay, who: string): Promise<Client> {
  const c = connectProvider(r.wsUrl, 'inbox:pn-a', await r.login(`${who}@example.com`), {
    ack: '1',
  })
  opened.push({ close: () => c.destroy() })
  await c.synced
  await until(() => getConversation(c.doc, 'c-1') !== null, 'conversation c-1')
  return c
}

describe('[G2] the relay refuses assignments to members without access', () => {
  it('[G2] assigning a member without access to the number closes with 4422 naming them', async () => {
    const r = await relayWithConversation()
    const alice = await join(r, 'alice')
    // erin has pn-b only: she cannot answer a conversation of pn-a (Support).
    assignConversation(alice.doc, 'c-1', 'erin', author('alice', 'dev-alice'))
    await until(() => alice.closes.length > 0, 'the refusal')
    expect(alice.closes[0]).toEqual({
      code: CloseCode.Rejected,
      reason: 'not-assignable: erin has no access to Support (+14155550142)',
    })
    alice.provider.disconnect()
    // Nothing of it was stored: a fresh replica sees the conversation unassigned.
    const carol = await join(r, 'carol')
    expect(getConversation(carol.doc, 'c-1')!.assignee).toBeNull()
  })

  it('[G1] a viewer with access cannot be assigned either', async () => {
    const r = await relayWithConversation()
    const alice = await join(r, 'alice')
    assignConversation(alice.doc, 'c-1', 'vic', author('alice', 'dev-alice'))
    await until(() => alice.closes.length > 0, 'the refusal')
    expect(alice.closes[0]!.reason).toBe(
      'not-assignable: vic is a viewer and cannot answer conversations',
    )
  })

  it('[G2] a member with access is assigned; once revoked, unassigning is accepted and reassigning refused', async () => {
    const r = await relayWithConversation()
    const alice = await join(r, 'alice')
    const acks = trackAcks(alice)
    const who = author('alice', 'dev-alice')
    assignConversation(alice.doc, 'c-1', 'carol', who)
    await acks.acked()
    expect(alice.closes).toEqual([])
    await r.relay.admin.revoke('carol', 'pn-a')
    assignConversation(alice.doc, 'c-1', null, who)
    await acks.acked()
    expect(alice.closes).toEqual([])
    assignConversation(alice.doc, 'c-1', 'carol', who)
    await until(() => alice.closes.length > 0, 'the refusal')
    expect(alice.closes[0]!.code).toBe(CloseCode.Rejected)
    expect(alice.closes[0]!.reason).toMatch(/carol has no access to Support/)
  })
})
