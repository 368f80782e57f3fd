/**
 * [O4] A relay stopped while a reply's request was under way: the row stays in flight in the
 * store, and the relay started on the same store looks the message up at Twilio before anything
 * else — Sent when Twilio has it, Unknown when not — and never posts it again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { deliveryOf, type Delivery } from '@switchboard/core'
import { connect, phoneNumbersFixture, PUBLIC_URL } from '../routes/phone-numbers-fixture.ts'
import { api, until, type TestRelay } from '../test-helpers.ts'
import { startFakeProvider, type FakeProvider } from './fake-provider.ts'
import * as tw from './fixtures/twilio-send.ts'
import { TWILIO } from './test-credentials.ts'

const { start, keep } = phoneNumbersFixture()
const NUMBER = '+14155550100'
const CONTACT = '+14155550199'
const TIMING = { firstRetryMs: 20, maxRetryMs: 80, pollMs: 10, sendTimeoutMs: 5000 }

const fakes: FakeProvider[] = []
const relays: TestRelay[] = []
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close().catch(() => {})
  for (const f of fakes.splice(0)) await f.close()
})

const delivery = async (r: TestRelay, activityId: string) => {
  let d: Delivery | null = null
  await r.relay.writeRoom('conversation:c-restart', (doc) => {
    d = deliveryOf(doc, activityId)
  })
  return d as Delivery | null
}

/** A reply left in flight by a relay stopped mid-send; then the relay again on the same store. */
async function stoppedMidSend(twilioHas: boolean) {
  const fake = await startFakeProvider(() => 'hold')
  fakes.push(fake)
  const relay = { providerApiBases: { twilio: fake.url }, outboxTiming: TIMING }
  const first = await start({ publicUrl: PUBLIC_URL, relay })
  keep()
  relays.push(first.r)
  const res = await connect(first.r, first.bob, {
    name: 'Desk',
    number: NUMBER,
    provider: 'twilio',
    credentials: TWILIO,
  })
  const { id } = (await res.json()) as { id: string }
  await first.r.relay.admin.grant('alice', id)
  await first.r.relay.ingest({
    id: 'in-1',
    conversationId: 'c-restart',
    phoneNumberId: id,
    direction: 'incoming',
    kind: 'message',
    from: CONTACT,
    to: NUMBER,
    body: 'Still open?',
    at: Date.now(),
  })
  const out = await api(first.r, '/api/outgoing', {
    token: first.alice,
    body: { conversationId: 'c-restart', phoneNumberId: id, body: 'Yes' },
  })
  const { activityId } = (await out.json()) as { activityId: string }
  await until(() => fake.requests.length === 1, 'the send at Twilio')
  await first.r.close()
  relays.splice(relays.indexOf(first.r), 1)

  fake.answer = (q) =>
    q.method === 'GET'
      ? {
          status: 200,
          body: tw.messageList(
            twilioHas ? [tw.createdMessage('SM0100', NUMBER, CONTACT, 'Yes')] : [],
          ),
        }
      : { status: 201, body: tw.createdMessage('SM0101', NUMBER, CONTACT, 'Yes') }
  const second = await start({ publicUrl: PUBLIC_URL, relay, dir: first.dir })
  keep()
  relays.push(second.r)
  return { r: second.r, fake, activityId }
}

describe('[O4] a relay stopped mid-send', () => {
  it('[O4] loses no reply and posts it once: Sent after the look-up finds it at Twilio', async () => {
    const { r, fake, activityId } = await stoppedMidSend(true)
    await until(() => r.storage.getOutgoing(activityId)?.state === 'done', 'the look-up')
    expect(await delivery(r, activityId)).toMatchObject({
      state: 'sent',
      providerMessageId: 'SM0100',
    })
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1)
  })

  it('[O4] becomes Unknown when Twilio has no trace of it, never posted again by itself', async () => {
    const { r, fake, activityId } = await stoppedMidSend(false)
    await until(() => r.storage.getOutgoing(activityId)?.state === 'done', 'the look-up')
    expect(await delivery(r, activityId)).toMatchObject({
      state: 'unknown',
      reason: 'could not confirm — check and resend',
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1)
  })
})
