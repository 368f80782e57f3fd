import { afterEach, describe, expect, it } from 'vitest'
import { roomName, setDelivery, type Activity, type Delivery } from '@switchboard/core'
import { createSwitchboard } from './node.ts'
import type { ConversationHandle } from './types.ts'
import { incoming, login, openClient, startRelay, until, type TestRelay } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A reply the relay took for sending (as `POST /api/outgoing` writes it). */
function reply(conversationId: string, body: string): Activity {
  return {
    ...incoming(conversationId, body),
    direction: 'outgoing',
    from: '+15550001',
    to: '+15551230000',
  }
}

async function relayWithReply(): Promise<{ relay: TestRelay; sent: Activity }> {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  await relay.ingest(incoming('c1', 'is my order late?'))
  const sent = reply('c1', 'It ships today.')
  await relay.ingest(sent)
  return { relay, sent }
}

/** The relay records a delivery report, as its outbox does. */
function report(relay: TestRelay, activityId: string, delivery: Delivery): Promise<void> {
  return relay.writeRoom!(roomName.conversation('c1'), (doc) => {
    setDelivery(doc, activityId, delivery)
  })
}

/** Resolves once `predicate` holds, checked on each change the handle reports. */
function changes(handle: ConversationHandle, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.onChange(() => {
      if (predicate()) {
        off()
        resolve()
      }
    })
    if (predicate()) {
      off()
      resolve()
    }
  })
}

describe('delivery of a reply', () => {
  it('[D1] a teammate’s replica sees the reply go Sending → Delivered live, as the relay reports it', async () => {
    const { relay, sent } = await relayWithReply()
    const carol = await openClient(relay, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    const thread = carol.openConversation('c1', 'pn1')
    cleanups.push(() => thread.close())
    await thread.whenLoaded
    await changes(thread, () => thread.activities().some((a) => a.id === sent.id))
    expect(thread.delivery(sent.id)).toBeNull()

    const seen: (string | undefined)[] = []
    const off = thread.onChange(() => {
      const state = thread.delivery(sent.id)?.state
      if (state !== seen.at(-1)) seen.push(state)
    })
    await report(relay, sent.id, { state: 'sending', attempt: 1, at: Date.now() })
    await changes(thread, () => thread.delivery(sent.id)?.state === 'sending')
    await report(relay, sent.id, {
      state: 'delivered',
      attempt: 1,
      at: Date.now(),
      providerMessageId: 'SM1234',
    })
    await changes(thread, () => thread.delivery(sent.id)?.state === 'delivered')
    off()
    expect(seen).toEqual(['sending', 'delivered'])
    expect(thread.delivery(sent.id)).toMatchObject({ attempt: 1, providerMessageId: 'SM1234' })
    // An incoming message never went through a provider.
    const first = thread.activities().find((a) => a.direction === 'incoming')!
    expect(thread.delivery(first.id)).toBeNull()
  })

  it('[D2] a late report from the provider does not move a delivered reply back', async () => {
    const { relay, sent } = await relayWithReply()
    const carol = await openClient(relay, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    const thread = carol.openConversation('c1', 'pn1')
    cleanups.push(() => thread.close())
    await report(relay, sent.id, { state: 'delivered', attempt: 1, at: Date.now() })
    await report(relay, sent.id, { state: 'sent', attempt: 1, at: Date.now() })
    await changes(thread, () => thread.delivery(sent.id)?.state === 'delivered')
    await carol.whenSynced()
    expect(thread.delivery(sent.id)?.state).toBe('delivered')
  })

  it('[D3] resend asks the relay, with the session’s token, to send a failed reply again; the next attempt shows as Sending', async () => {
    const { relay, sent } = await relayWithReply()
    const session = await login(relay.url, 'carol@example.com')
    // The relay's resend route is the outbox's; this replica's side is the request it makes.
    const asked: { url: string; auth: string | null; body: unknown }[] = []
    const fetchThrough: typeof fetch = async (input, init) => {
      const url = String(input)
      if (!url.endsWith('/resend')) return fetch(input, init)
      const headers = new Headers(init?.headers)
      asked.push({
        url,
        auth: headers.get('authorization'),
        body: JSON.parse(String(init?.body)) as unknown,
      })
      await report(relay, sent.id, { state: 'sending', attempt: 2, at: Date.now() })
      return Response.json({ activityId: sent.id, delivery: 'sending' }, { status: 202 })
    }
    const carol = createSwitchboard({
      url: relay.url,
      token: session.token,
      refreshToken: session.refreshToken,
      member: session.member,
      storage: 'memory',
      fetch: fetchThrough,
    })
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    const thread = carol.openConversation('c1', 'pn1')
    cleanups.push(() => thread.close())
    await report(relay, sent.id, {
      state: 'failed',
      attempt: 1,
      at: Date.now(),
      reason: 'Unreachable destination handset',
    })
    await changes(thread, () => thread.delivery(sent.id)?.state === 'failed')
    expect(thread.delivery(sent.id)?.reason).toBe('Unreachable destination handset')

    await thread.resend(sent.id)
    expect(asked).toEqual([
      {
        url: `${relay.url}/api/outgoing/${sent.id}/resend`,
        auth: `Bearer ${session.token}`,
        body: { conversationId: 'c1', phoneNumberId: 'pn1' },
      },
    ])
    await changes(thread, () => thread.delivery(sent.id)?.attempt === 2)
    expect(thread.delivery(sent.id)?.state).toBe('sending')
  })

  it('resend that the relay refuses rejects with its reason', async () => {
    const { relay, sent } = await relayWithReply()
    const carol = await openClient(relay, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    const thread = carol.openConversation('c1', 'pn1')
    cleanups.push(() => thread.close())
    // Without the outbox the route is unknown; with it, a reply never sent through a provider
    // cannot be sent again. Either way the caller hears a refusal, not silence.
    await expect(thread.resend(sent.id)).rejects.toThrow(/resend: 4\d\d/)
  })
})
