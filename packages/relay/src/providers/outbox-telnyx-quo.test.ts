/**
 * Replies through Telnyx and Quo numbers, end to end against fake providers on 127.0.0.1: the
 * send reaches the provider's API in its format, and the provider's signed delivery report on the
 * number's webhook moves the reply's delivery [O3][O8]. Payloads from the providers' documentation
 * (fixtures/telnyx-quo-send.ts, fixtures/telnyx.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { deliveryOf, type Delivery } from '@switchboard/core'
import { connect, phoneNumbersFixture, PUBLIC_URL } from '../routes/phone-numbers-fixture.ts'
import { api, until, type TestRelay } from '../test-helpers.ts'
import { startFakeProvider, type FakeProvider } from './fake-provider.ts'
import { quoAppHeaders, telnyxHeaders, telnyxKeys } from './fixtures/sign.ts'
import * as fx from './fixtures/telnyx-quo-send.ts'
import { messageFinalized } from './fixtures/telnyx.ts'
import type { ProviderName } from './provider-account.ts'
import { QUO, TELNYX } from './test-credentials.ts'

const { start } = phoneNumbersFixture()
const NUMBER = '+14155550100'
const CONTACT = '+14155550199'
const TIMING = { firstRetryMs: 20, maxRetryMs: 80, pollMs: 10, sendTimeoutMs: 2000 }

const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

async function setUp(provider: ProviderName, credentials: unknown, answer: FakeProvider['answer']) {
  const fake = await startFakeProvider(answer)
  fakes.push(fake)
  const s = await start({
    publicUrl: PUBLIC_URL,
    relay: { providerApiBases: { [provider]: fake.url }, outboxTiming: TIMING },
  })
  const res = await connect(s.r, s.bob, { name: provider, number: NUMBER, provider, credentials })
  const { id } = (await res.json()) as { id: string }
  await s.r.relay.admin.grant('alice', id)
  await s.r.relay.ingest({
    id: `in-${provider}`,
    conversationId: 'c-out',
    phoneNumberId: id,
    direction: 'incoming',
    kind: 'message',
    from: CONTACT,
    to: NUMBER,
    body: 'Hello?',
    at: Date.now(),
  })
  const out = await api(s.r, '/api/outgoing', {
    token: s.alice,
    body: { conversationId: 'c-out', phoneNumberId: id, body: 'On our way' },
  })
  expect(out.status).toBe(202)
  const { activityId } = (await out.json()) as { activityId: string }
  return { ...s, fake, id, activityId }
}

const delivery = async (r: TestRelay, activityId: string) => {
  let d: Delivery | null = null
  await r.relay.writeRoom('conversation:c-out', (doc) => {
    d = deliveryOf(doc, activityId)
  })
  return d as Delivery | null
}
const waitFor = async (r: TestRelay, activityId: string, state: string) => {
  let last: Delivery | null = null
  await until(() => {
    void delivery(r, activityId).then((d) => (last = d))
    return last?.state === state
  }, `${state} for ${activityId}`)
  return last as Delivery | null
}

describe('[O3][O8] replies through Telnyx and Quo', () => {
  it('[O3][O8] Telnyx: sent to /v2/messages with the number as webhook_url; a signed message.finalized makes it Delivered', async () => {
    const keys = telnyxKeys()
    const msgId = messageFinalized.data.payload.id
    const { r, fake, id, activityId } = await setUp(
      'telnyx',
      { apiKey: TELNYX.apiKey, publicKey: keys.publicKey },
      () => ({ status: 200, body: fx.telnyxCreated(msgId, NUMBER, CONTACT, 'On our way') }),
    )
    expect(await waitFor(r, activityId, 'sent')).toMatchObject({ providerMessageId: msgId })
    const sent = JSON.parse(fake.requests[0]!.body) as Record<string, string>
    expect(sent).toMatchObject({ from: NUMBER, to: CONTACT, text: 'On our way' })
    expect(sent.webhook_url).toBe(`${PUBLIC_URL}/api/webhooks/telnyx/${id}`)
    const body = JSON.stringify(messageFinalized)
    const res = await fetch(`${r.url}/api/webhooks/telnyx/${id}`, {
      method: 'POST',
      headers: telnyxHeaders(keys, body, Date.now()),
      body,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ delivery: 'delivered' })
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered', attempt: 1 })
  })

  it('[O3][O8] Quo: sent to /v1/messages; a signed message.delivered makes it Delivered', async () => {
    const { r, fake, id, activityId } = await setUp('quo', QUO, () => ({
      status: 202,
      body: fx.quoCreated('AC0700', NUMBER, CONTACT, 'On our way'),
    }))
    await waitFor(r, activityId, 'sent')
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      content: 'On our way',
      from: NUMBER,
      to: [CONTACT],
    })
    const body = JSON.stringify({
      id: 'EVc67ec998b35c41d388af50799aeeba3e',
      object: 'event',
      apiVersion: 'v2',
      createdAt: new Date().toISOString(),
      type: 'message.delivered',
      data: {
        object: {
          id: 'AC0700',
          object: 'message',
          from: NUMBER,
          to: CONTACT,
          direction: 'outgoing',
          body: 'On our way',
          status: 'delivered',
          createdAt: new Date().toISOString(),
          userId: 'US123abc',
          phoneNumberId: 'PN123abc',
          conversationId: 'CN123abc',
        },
      },
    })
    const res = await fetch(`${r.url}/api/webhooks/quo/${id}`, {
      method: 'POST',
      headers: quoAppHeaders(QUO.webhookSecret, body, Date.now()),
      body,
    })
    expect(res.status).toBe(200)
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered' })
  })

  it('[O7] a viewer may not resend; a Telnyx reply over 1,530 characters is refused naming the limit', async () => {
    const keys = telnyxKeys()
    const { r, id, alice, activityId } = await setUp(
      'telnyx',
      { apiKey: TELNYX.apiKey, publicKey: keys.publicKey },
      () => ({ status: 400, body: fx.telnyxTooLarge }),
    )
    await waitFor(r, activityId, 'failed')
    // vic, the workspace's viewer, is given the number too.
    await r.relay.admin.grant('vic', id)
    const vic = await r.login('vic@example.com')
    const res = await api(r, `/api/outgoing/${activityId}/resend`, { token: vic, body: {} })
    expect(res.status).toBe(403)
    const long = await api(r, '/api/outgoing', {
      token: alice,
      body: { conversationId: 'c-out', phoneNumberId: id, body: 'x'.repeat(1531) },
    })
    expect(long.status).toBe(400)
    expect(((await long.json()) as { error: string }).error).toBe(
      "body is longer than 1,530 characters, Telnyx's limit",
    )
  })
})
