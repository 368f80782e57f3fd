/**
 * The outbox's and the provider webhooks' metrics, read through `GET /metrics` on a real relay
 * while replies go out through a fake Quo on 127.0.0.1 and signed webhooks come in.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, phoneNumbersFixture, PUBLIC_URL } from '../routes/phone-numbers-fixture.ts'
import { api, until, type TestRelay } from '../test-helpers.ts'
import { startFakeProvider, type FakeProvider, type FakeRequest } from './fake-provider.ts'
import * as calls from './fixtures/quo-call-details.ts'
import { appMessageReceived } from './fixtures/quo.ts'
import { quoAppHeaders } from './fixtures/sign.ts'
import * as fx from './fixtures/telnyx-quo-send.ts'
import { QUO } from './test-credentials.ts'

const { start } = phoneNumbersFixture()
const NUMBER = '+15555555555'
const CONTACT = '+14155550199'
const TIMING = { firstRetryMs: 20, maxRetryMs: 80, pollMs: 10, sendTimeoutMs: 5000 }

const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

/** The value of one sample of `/metrics`, by its name and labels as printed. */
async function metric(r: TestRelay, sample: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `))
  return line === undefined ? 0 : Number(line.slice(sample.length + 1))
}

describe('outbox and webhook metrics', () => {
  it('count replies queued, retried, sent, delivered and failed, and the age of the oldest unsent one', async () => {
    let posts = 0
    const fake = await startFakeProvider((req: FakeRequest) => {
      if (req.url !== '/v1/messages') return { status: 404 }
      const { content } = JSON.parse(req.body) as { content: string }
      if (content === 'refuse me') return { status: 400, body: { message: 'Invalid to' } }
      posts++
      return posts === 1 ? { status: 500 } : 'hold'
    })
    fakes.push(fake)
    const { r, bob, alice } = await start({
      publicUrl: PUBLIC_URL,
      relay: { providerApiBases: { quo: fake.url }, outboxTiming: TIMING },
    })
    const res = await connect(r, bob, {
      name: 'Quo line',
      number: NUMBER,
      provider: 'quo',
      credentials: QUO,
    })
    const { id } = (await res.json()) as { id: string }
    await r.relay.admin.grant('alice', id)
    await r.relay.ingest({
      id: 'in-1',
      conversationId: 'c-out',
      phoneNumberId: id,
      direction: 'incoming',
      kind: 'message',
      from: CONTACT,
      to: NUMBER,
      body: 'Hello?',
      at: Date.now(),
    })
    const send = (body: string) =>
      api(r, '/api/outgoing', {
        token: alice,
        body: { conversationId: 'c-out', phoneNumberId: id, body },
      })
    expect((await send('On our way')).status).toBe(202)
    await until(() => posts === 2, 'the retried send')
    expect(await metric(r, 'switchboard_outbox_replies_total{outcome="queued"}')).toBe(1)
    expect(await metric(r, 'switchboard_outbox_retries_total')).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(await metric(r, 'switchboard_outbox_oldest_unsent_seconds')).toBeGreaterThan(0)

    fake.release({ status: 202, body: fx.quoCreated('AC0700', NUMBER, CONTACT, 'On our way') })
    let sent = 0
    await until(() => {
      void metric(r, 'switchboard_outbox_replies_total{outcome="sent"}').then((v) => (sent = v))
      return sent === 1
    }, 'sent')
    expect(await metric(r, 'switchboard_outbox_oldest_unsent_seconds')).toBe(0)

    const delivered = JSON.stringify({
      id: 'EVc67ec998b35c41d388af50799aeeba3f',
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
        },
      },
    })
    const report = await fetch(`${r.url}/api/webhooks/quo/${id}`, {
      method: 'POST',
      headers: quoAppHeaders(QUO.webhookSecret, delivered, Date.now()),
      body: delivered,
    })
    expect(report.status).toBe(200)
    expect(await metric(r, 'switchboard_outbox_replies_total{outcome="delivered"}')).toBe(1)

    expect((await send('refuse me')).status).toBe(202)
    let failed = 0
    await until(() => {
      void metric(r, 'switchboard_outbox_replies_total{outcome="failed"}').then((v) => (failed = v))
      return failed === 1
    }, 'failed')
    expect(await metric(r, 'switchboard_outbox_replies_total{outcome="queued"}')).toBe(2)
    expect(await metric(r, 'switchboard_outbox_replies_total{outcome="unknown"}')).toBe(0)
    expect(await metric(r, 'switchboard_webhooks_total{provider="quo",class="2xx"}')).toBe(1)
  })

  it('count webhook posts by provider and answer class, and the duplicates', async () => {
    const fake = await startFakeProvider(() => ({ status: 500, body: { message: 'down' } }))
    fakes.push(fake)
    const { r, bob } = await start({
      publicUrl: PUBLIC_URL,
      relay: { providerApiBases: { quo: fake.url } },
    })
    const res = await connect(r, bob, {
      name: 'Quo line',
      number: NUMBER,
      provider: 'quo',
      credentials: QUO,
    })
    const { id } = (await res.json()) as { id: string }
    const post = (event: unknown, key = QUO.webhookSecret) => {
      const body = JSON.stringify(event)
      return fetch(`${r.url}/api/webhooks/quo/${id}`, {
        method: 'POST',
        headers: quoAppHeaders(key, body, Date.now()),
        body,
      })
    }
    expect((await post(appMessageReceived)).status).toBe(200)
    expect((await post(appMessageReceived)).status).toBe(200)
    expect((await post(appMessageReceived, Buffer.from('wrong').toString('base64'))).status).toBe(
      403,
    )
    // A summary of a call the relay does not know, while Quo's API is down.
    expect((await post(calls.callSummary)).status).toBe(503)
    expect((await fetch(`${r.url}/api/webhooks/telnyx/${id}`, { method: 'POST' })).status).toBe(404)
    expect(await metric(r, 'switchboard_webhooks_total{provider="quo",class="2xx"}')).toBe(2)
    expect(await metric(r, 'switchboard_webhooks_total{provider="quo",class="4xx"}')).toBe(1)
    expect(await metric(r, 'switchboard_webhooks_total{provider="quo",class="5xx"}')).toBe(1)
    expect(await metric(r, 'switchboard_webhooks_total{provider="telnyx",class="4xx"}')).toBe(1)
    expect(await metric(r, 'switchboard_webhook_duplicates_total{provider="quo"}')).toBe(1)
  })
})
