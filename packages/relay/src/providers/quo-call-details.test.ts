/**
 * Quo's call summaries and transcripts, end to end: signed deliveries (app webhooks and Standard
 * Webhooks) on a real relay and SQLite store, Quo's API faked on 127.0.0.1 for the calls the
 * relay does not know [W10]. Payloads: fixtures/quo-call-details.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { callDetailsOf, listActivities, type CallDetails } from '@switchboard/core'
import { connect, phoneNumbersFixture, PUBLIC_URL } from '../routes/phone-numbers-fixture.ts'
import type { TestRelay } from '../test-helpers.ts'
import { startFakeProvider, type FakeProvider, type FakeRequest } from './fake-provider.ts'
import * as fx from './fixtures/quo-call-details.ts'
import { quoAppHeaders, quoStandardHeaders } from './fixtures/sign.ts'
import { quoPhoneNumbers } from './fixtures/telnyx-quo-send.ts'
import { providerConversationId } from './provider-activity.ts'
import { QUO, QUO_STANDARD } from './test-credentials.ts'

const { start } = phoneNumbersFixture()
const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

/** Quo's API as the fake answers it: the call, and the workspace's numbers. */
const quoApi =
  (call = fx.getCall()) =>
  (req: FakeRequest) =>
    req.url === `/v1/calls/${fx.CALL_ID}`
      ? { status: 200, body: call }
      : req.url === '/v1/phone-numbers'
        ? {
            status: 200,
            body: { data: [{ ...quoPhoneNumbers(fx.OURS).data[0], id: fx.OUR_QUO_ID }] },
          }
        : { status: 404, body: { message: 'Not Found' } }

type Signing = 'app' | 'standard'

async function setUp(signing: Signing, answer: FakeProvider['answer'] = quoApi()) {
  const fake = await startFakeProvider(answer)
  fakes.push(fake)
  const s = await start({ publicUrl: PUBLIC_URL, relay: { providerApiBases: { quo: fake.url } } })
  const credentials = signing === 'app' ? QUO : QUO_STANDARD
  const res = await connect(s.r, s.bob, {
    name: 'Quo line',
    number: fx.OURS,
    provider: 'quo',
    credentials,
  })
  const { id } = (await res.json()) as { id: string }
  let n = 0
  const post = async (event: unknown) => {
    const body = JSON.stringify(event)
    const headers =
      signing === 'app'
        ? quoAppHeaders(credentials.webhookSecret, body, Date.now())
        : quoStandardHeaders(credentials.webhookSecret, `msg_${++n}`, body, Date.now())
    const r = await fetch(`${s.r.url}/api/webhooks/quo/${id}`, { method: 'POST', headers, body })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  const conversationId = providerConversationId(id, fx.CONTACT)
  return { ...s, fake, id, post, conversationId }
}

async function details(r: TestRelay, conversationId: string, activityId: string) {
  let d: CallDetails | null = null
  let activities: string[] = []
  await r.relay.writeRoom(`conversation:${conversationId}`, (doc) => {
    d = callDetailsOf(doc, activityId)
    activities = listActivities(doc).map((a) => a.id)
  })
  return { details: d as CallDetails | null, activities }
}

const ACTIVITY = `quo-call-${fx.CALL_ID}`

describe('[W10] Quo call summaries and transcripts', () => {
  for (const signing of ['app', 'standard'] as const) {
    const wrap = signing === 'app' ? <T>(e: T) => e : fx.asApiEvent
    it(`[W10] (${signing}) a summary and a transcript after the call are attached to it, without asking Quo; a repeat adds nothing`, async () => {
      const { r, fake, post, conversationId } = await setUp(signing)
      expect(await post(wrap(fx.callCompleted))).toMatchObject({
        status: 200,
        body: { activity: ACTIVITY },
      })
      expect(await post(wrap(fx.callSummary))).toEqual({
        status: 200,
        body: { callDetails: ACTIVITY, duplicate: false },
      })
      expect(await post(wrap(fx.callTranscript))).toEqual({
        status: 200,
        body: { callDetails: ACTIVITY, duplicate: false },
      })
      expect(await post(wrap(fx.callSummary))).toEqual({
        status: 200,
        body: { callDetails: ACTIVITY, duplicate: true },
      })
      const seen = await details(r, conversationId, ACTIVITY)
      expect(seen.activities).toEqual([ACTIVITY])
      expect(seen.details).toMatchObject({
        summary: ['You talked about the weather.'],
        nextSteps: ['Bring an umbrella.'],
        transcript: [{ speaker: fx.CONTACT, text: 'Hello, world!' }],
      })
      expect(fake.requests).toEqual([])
    })

    it(`[W10] (${signing}) a summary before its call is placed by Quo's API (the number's key), and the call lands beside it`, async () => {
      const { r, fake, post, conversationId } = await setUp(signing)
      expect(await post(wrap(fx.callSummary))).toEqual({
        status: 200,
        body: { callDetails: ACTIVITY, duplicate: false },
      })
      expect(fake.requests.map((q) => q.url)).toEqual([
        `/v1/calls/${fx.CALL_ID}`,
        '/v1/phone-numbers',
      ])
      const key = signing === 'app' ? QUO.apiKey : QUO_STANDARD.apiKey
      expect(fake.requests.every((q) => q.headers.authorization === key)).toBe(true)
      expect(r.storage.getConversationPhoneNumber(conversationId)).not.toBeNull()
      await post(wrap(fx.callCompleted))
      const seen = await details(r, conversationId, ACTIVITY)
      expect(seen.activities).toEqual([ACTIVITY])
      expect(seen.details?.summary).toEqual(['You talked about the weather.'])
    })
  }

  it("[W10] when Quo's API cannot be asked, the summary is answered 503 and nothing is stored; Quo's retry files it", async () => {
    let up = false
    const { r, post, conversationId } = await setUp('app', (req) =>
      up ? quoApi()(req) : { status: 500, body: { message: 'down' } },
    )
    const refused = await post(fx.callSummary)
    expect(refused.status).toBe(503)
    expect(refused.body.error).toContain(`call ${fx.CALL_ID} is not known yet`)
    expect(r.storage.getConversationPhoneNumber(conversationId)).toBeNull()
    up = true
    expect(await post(fx.callSummary)).toMatchObject({ status: 200, body: { duplicate: false } })
    expect((await details(r, conversationId, ACTIVITY)).details?.nextSteps).toEqual([
      'Bring an umbrella.',
    ])
  })

  it('[W9][W10] a summary of another number’s call (Quo says so) is ignored and stores nothing', async () => {
    const { r, post, conversationId } = await setUp('standard', quoApi(fx.getCall('PNother')))
    expect(await post(fx.asApiEvent(fx.callSummary))).toEqual({
      status: 200,
      body: { ignored: 'call of another phone number' },
    })
    expect(r.storage.getConversationPhoneNumber(conversationId)).toBeNull()
  })

  it('[W9][W10] a summary of a call filed on another number, posted to this one, is ignored without asking Quo', async () => {
    const { r, bob, fake, post, conversationId } = await setUp('app')
    await post(fx.callCompleted)
    const other = await connect(r, bob, {
      name: 'Other line',
      number: '+15555550000',
      provider: 'quo',
      credentials: QUO,
    })
    const { id: otherId } = (await other.json()) as { id: string }
    const body = JSON.stringify(fx.callSummary)
    const res = await fetch(`${r.url}/api/webhooks/quo/${otherId}`, {
      method: 'POST',
      headers: quoAppHeaders(QUO.webhookSecret, body, Date.now()),
      body,
    })
    expect(await res.json()).toEqual({ ignored: 'call of another phone number' })
    expect(fake.requests).toEqual([])
    expect((await details(r, conversationId, ACTIVITY)).details).toBeNull()
  })

  it('[W3][W7][W10] a badly signed summary is 403; one without a callId is 400; one Quo could not make is ignored', async () => {
    const { r, id, post } = await setUp('app')
    const body = JSON.stringify(fx.callSummary)
    const forged = await fetch(`${r.url}/api/webhooks/quo/${id}`, {
      method: 'POST',
      headers: quoAppHeaders(Buffer.from('not the key').toString('base64'), body, Date.now()),
      body,
    })
    expect(forged.status).toBe(403)
    const noCall = structuredClone(fx.callSummary) as { data: { object: { callId?: string } } }
    delete noCall.data.object.callId
    expect(await post(noCall)).toEqual({
      status: 400,
      body: { error: 'data.object.callId is required', field: 'data.object.callId' },
    })
    const absent = structuredClone(fx.callSummary)
    absent.data.object.status = 'absent'
    expect(await post(absent)).toEqual({
      status: 200,
      body: { ignored: "call.summary.completed with status 'absent'" },
    })
  })

  it('[W10] the documentation’s `callSummary` / `callTranscript` type names are read too', async () => {
    const { r, post, conversationId } = await setUp('app')
    await post(fx.callCompleted)
    expect(await post({ ...fx.callTranscript, type: 'callTranscript' })).toMatchObject({
      status: 200,
      body: { callDetails: ACTIVITY },
    })
    expect(await post({ ...fx.callSummary, type: 'callSummary' })).toMatchObject({ status: 200 })
    const seen = await details(r, conversationId, ACTIVITY)
    expect(seen.details?.transcript).toHaveLength(1)
    expect(seen.details?.summary).toHaveLength(1)
  })
})
