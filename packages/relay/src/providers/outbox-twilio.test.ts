/**
 * A reply through a Twilio number, end to end against a fake Twilio on 127.0.0.1: the relay's
 * real HTTP and SQLite store, the admin API connecting the number, `POST /api/outgoing`, the
 * outbox sender, and Twilio's signed status callbacks (payloads from Twilio's documentation,
 * fixtures/twilio-send.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  deliveryOf,
  readActivityLog,
  teamFigures,
  workspaceRoots,
  type Delivery,
} from '@switchboard/core'
import { api, until, type TestRelay } from '../test-helpers.ts'
import { connect, phoneNumbersFixture, PUBLIC_URL } from '../routes/phone-numbers-fixture.ts'
import { startFakeProvider, type FakeProvider, type FakeRequest } from './fake-provider.ts'
import { twilioRequest } from './fixtures/sign.ts'
import * as tw from './fixtures/twilio-send.ts'
import { TWILIO } from './test-credentials.ts'

const { start } = phoneNumbersFixture()
const NUMBER = '+14155550100'
const CONTACT = '+14155550199'
const CONVERSATION = 'c-twilio'
const TIMING = { firstRetryMs: 20, maxRetryMs: 80, pollMs: 10, sendTimeoutMs: 300 }

const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

const posts = (f: FakeProvider) => f.requests.filter((q) => q.method === 'POST')
const created = (q: FakeRequest, sid: string) => {
  const form = new URLSearchParams(q.body)
  return {
    status: 201,
    body: tw.createdMessage(sid, form.get('From')!, form.get('To')!, form.get('Body')!),
  }
}

/** A relay whose Twilio is `fake`, a connected Twilio number shared with alice, a conversation. */
async function setUp(answer: FakeProvider['answer']) {
  const fake = await startFakeProvider(answer)
  fakes.push(fake)
  const started = await start({
    publicUrl: PUBLIC_URL,
    relay: { providerApiBases: { twilio: fake.url }, outboxTiming: TIMING },
  })
  const { r, alice, bob } = started
  const res = await connect(r, bob, {
    name: 'Desk',
    number: NUMBER,
    provider: 'twilio',
    credentials: TWILIO,
  })
  const { id } = (await res.json()) as { id: string }
  await r.relay.admin.grant('alice', id)
  await r.relay.ingest({
    id: 'in-1',
    conversationId: CONVERSATION,
    phoneNumberId: id,
    direction: 'incoming',
    kind: 'message',
    from: CONTACT,
    to: NUMBER,
    body: 'Are you open today?',
    at: Date.now(),
  })
  const reply = async (body = 'Yes, until six') => {
    const out = await api(r, '/api/outgoing', {
      token: alice,
      body: { conversationId: CONVERSATION, phoneNumberId: id, body },
    })
    return { status: out.status, json: (await out.json()) as Record<string, unknown> }
  }
  return { ...started, fake, id, reply }
}

const delivery = async (r: TestRelay, activityId: string) => {
  let d: Delivery | null = null
  await r.relay.writeRoom(`conversation:${CONVERSATION}`, (doc) => {
    d = deliveryOf(doc, activityId)
  })
  return d as Delivery | null
}
const waitFor = async (
  r: TestRelay,
  activityId: string,
  check: (d: Delivery | null) => boolean,
) => {
  let last: Delivery | null = null
  await until(() => {
    void delivery(r, activityId).then((d) => (last = d))
    return check(last)
  }, `delivery of ${activityId}`)
  return last as Delivery | null
}
const inboxLogged = async (r: TestRelay, phoneNumberId: string, activityId: string) => {
  let found = false
  await r.relay.writeRoom(`inbox:${phoneNumberId}`, (doc) => {
    found = readActivityLog(doc).some((e) => e.id === activityId)
  })
  return found
}
/** Twilio's status callback for `sid`, signed over the public URL, posted to the relay. */
const statusCallback = (
  r: TestRelay,
  id: string,
  sid: string,
  status: string,
  extra = {},
  path = `/api/webhooks/twilio/${id}/status`,
) => {
  const req = twilioRequest(
    TWILIO.authToken,
    PUBLIC_URL + path,
    tw.statusCallback(sid, status, extra),
  )
  return fetch(r.url + path, { method: 'POST', headers: req.headers, body: req.body })
}

describe('[O1]–[O8] replies through Twilio', () => {
  it('[O1][O3] a reply reaches Twilio as a Messages.json POST with the right form and Basic auth, then shows Sent', async () => {
    const { r, fake, id, reply } = await setUp((q) => created(q, 'SM0001'))
    const out = await reply()
    expect(out.status).toBe(202)
    expect(out.json).toMatchObject({ delivery: 'sending' })
    const activityId = out.json.activityId as string
    const sent = await waitFor(r, activityId, (d) => d?.state === 'sent')
    expect(sent).toMatchObject({ state: 'sent', attempt: 1, providerMessageId: 'SM0001' })
    const [post] = posts(fake)
    expect(post!.url).toBe(`/2010-04-01/Accounts/${TWILIO.accountSid}/Messages.json`)
    expect(post!.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO.accountSid}:${TWILIO.authToken}`).toString('base64')}`,
    )
    expect(post!.headers['content-type']).toContain('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(post!.body))).toEqual({
      From: NUMBER,
      To: CONTACT,
      Body: 'Yes, until six',
      StatusCallback: `${PUBLIC_URL}/api/webhooks/twilio/${id}/status`,
    })
    expect(r.storage.getOutgoing(activityId)).toMatchObject({ state: 'done', outcome: 'sent' })
  })

  it('[O8][D2] a signed status callback makes it Delivered, a late "sent" does not undo it, an unknown sid or another number\'s is acknowledged', async () => {
    const { r, bob, id, reply } = await setUp((q) => created(q, 'SM0002'))
    const activityId = (await reply()).json.activityId as string
    await waitFor(r, activityId, (d) => d?.state === 'sent')
    expect((await statusCallback(r, id, 'SM0002', 'delivered')).status).toBe(200)
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered' })
    expect((await statusCallback(r, id, 'SM0002', 'sent')).status).toBe(200)
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered', attempt: 1 })
    // Another number's webhook, even signed with good credentials, never moves this reply.
    const other = await connect(r, bob, {
      name: 'Other',
      number: '+14155550177',
      provider: 'twilio',
      credentials: TWILIO,
    })
    const otherId = ((await other.json()) as { id: string }).id
    const across = await statusCallback(r, otherId, 'SM0002', 'failed')
    expect(await across.json()).toHaveProperty('ignored')
    const stranger = await statusCallback(r, id, 'SMunknown', 'delivered')
    expect(stranger.status).toBe(200)
    expect(await stranger.json()).toHaveProperty('ignored')
    // [W3] Unsigned, it is refused like any Twilio webhook.
    const forged = await fetch(`${r.url}/api/webhooks/twilio/${id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(tw.statusCallback('SM0002', 'failed')).toString(),
    })
    expect(forged.status).toBe(403)
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered' })
  })

  it("[O8] a status posted to the number's messaging URL (a console status callback) is a report too", async () => {
    const { r, id, reply } = await setUp((q) => created(q, 'SM0010'))
    const activityId = (await reply()).json.activityId as string
    await waitFor(r, activityId, (d) => d?.state === 'sent')
    const res = await statusCallback(r, id, 'SM0010', 'delivered', {}, `/api/webhooks/twilio/${id}`)
    expect(res.status).toBe(200)
    expect(await delivery(r, activityId)).toMatchObject({ state: 'delivered' })
    expect(r.storage.hasActivity('twilio-msg-SM0010')).toBe(false)
  })

  it('[O2] Twilio answering 503 for a while: the reply stays Sending, then is delivered exactly once', async () => {
    let calls = 0
    const { r, fake, reply } = await setUp((q) =>
      ++calls <= 3
        ? { status: 503, body: { message: 'Service Unavailable' } }
        : created(q, 'SM0003'),
    )
    const activityId = (await reply()).json.activityId as string
    await until(() => calls >= 2, 'a retry')
    expect(await delivery(r, activityId)).toMatchObject({ state: 'sending' })
    await waitFor(r, activityId, (d) => d?.state === 'sent')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(posts(fake)).toHaveLength(4)
    expect(r.storage.getOutgoing(activityId)).toMatchObject({ outcome: 'sent', tries: 3 })
  })

  it('[N5] a reply still queued when the owner removes its number fails: the number is no longer connected', async () => {
    let calls = 0
    const { r, alice, fake, id, reply } = await setUp(() => {
      calls++
      return { status: 503, body: { message: 'Service Unavailable' } }
    })
    const activityId = (await reply()).json.activityId as string
    await until(() => calls >= 1, 'a first try')
    const removed = await api(r, `/api/admin/phone-numbers/${id}`, {
      method: 'DELETE',
      token: alice,
      body: { confirm: NUMBER },
    })
    expect(removed.status).toBe(200)
    const failed = await waitFor(r, activityId, (d) => d?.state === 'failed')
    expect(failed).toMatchObject({ reason: 'the number is no longer connected through twilio' })
    const tried = posts(fake).length
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(posts(fake)).toHaveLength(tried)
  })

  it('[O2] Twilio refusing connections: retried until it listens again, then sent once', async () => {
    const { r, fake, reply } = await setUp((q) => created(q, 'SM0004'))
    const port = Number(new URL(fake.url).port)
    await fake.close()
    const activityId = (await reply()).json.activityId as string
    await until(() => (r.storage.getOutgoing(activityId)?.tries ?? 0) >= 2, 'retries')
    expect(await delivery(r, activityId)).toMatchObject({ state: 'sending' })
    const back = await startFakeProvider((q) => created(q, 'SM0004'), port)
    fakes.push(back)
    await waitFor(r, activityId, (d) => d?.state === 'sent')
    expect(posts(back)).toHaveLength(1)
  })

  it("[O3][D3][O7] a 400 fails with Twilio's reason; a resend is a new attempt; a sent reply cannot be resent", async () => {
    let refuse = true
    const { r, alice, reply } = await setUp((q) =>
      refuse ? { status: 400, body: tw.invalidTo } : created(q, 'SM0005'),
    )
    const activityId = (await reply()).json.activityId as string
    const failed = await waitFor(r, activityId, (d) => d?.state === 'failed')
    expect(failed).toMatchObject({
      attempt: 1,
      reason: "Invalid 'To' Phone Number: +14155550199 (Twilio error 21211)",
    })
    refuse = false
    const resend = await api(r, `/api/outgoing/${activityId}/resend`, { token: alice, body: {} })
    expect(resend.status).toBe(202)
    expect(await resend.json()).toEqual({ activityId, delivery: 'sending', attempt: 2 })
    await waitFor(r, activityId, (d) => d?.state === 'sent' && d.attempt === 2)
    const again = await api(r, `/api/outgoing/${activityId}/resend`, { token: alice, body: {} })
    expect(again.status).toBe(409)
    expect(((await again.json()) as { error: string }).error).toContain('only a failed or unknown')
    const none = await api(r, '/api/outgoing/out-nope/resend', { token: alice, body: {} })
    expect(none.status).toBe(404)
  })

  it('[O5] a 401 fails the reply and marks the number credentials-rejected; new credentials clear it', async () => {
    const { r, bob, id, reply } = await setUp(() => ({ status: 401, body: tw.authenticationError }))
    const activityId = (await reply()).json.activityId as string
    await waitFor(r, activityId, (d) => d?.state === 'failed')
    let pn: unknown = null
    const shown = async () => {
      await r.relay.writeRoom('workspace', (doc) => {
        pn = workspaceRoots.phoneNumbers(doc).get(id)
      })
      return pn
    }
    await until(() => {
      void shown()
      return (pn as { providerStatus?: string } | null)?.providerStatus === 'credentials-rejected'
    }, 'the rejected-credentials status')
    expect(await shown()).toMatchObject({ provider: 'twilio', maxBodyLength: 1600 })
    const put = await api(r, `/api/admin/phone-numbers/${id}/credentials`, {
      method: 'PUT',
      token: bob,
      body: { credentials: TWILIO },
    })
    expect(put.status).toBe(200)
    expect(await shown()).not.toHaveProperty('providerStatus')
  })

  it("[O1] a body over 1,600 characters is refused naming Twilio's limit, and nothing is stored or sent", async () => {
    const { r, fake, reply } = await setUp((q) => created(q, 'SM0006'))
    const out = await reply('x'.repeat(1601))
    expect(out.status).toBe(400)
    expect(out.json).toMatchObject({
      error: "body is longer than 1,600 characters, Twilio's limit",
      field: 'body',
      limit: 1600,
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fake.requests).toHaveLength(0)
    expect(r.storage.dueOutgoing(Date.now() + 1e9, 10)).toEqual([])
  })

  it('[D4][O6] only a reply Twilio took enters the inbox activity log the team figures read', async () => {
    let refuse = true
    const { r, id, reply } = await setUp((q) =>
      refuse ? { status: 400, body: tw.invalidTo } : created(q, 'SM0007'),
    )
    const responses = async () => {
      let figures: ReturnType<typeof teamFigures> | null = null
      await r.relay.writeRoom(`inbox:${id}`, (doc) => {
        figures = teamFigures(doc, { from: 0, to: Date.now() + 60_000 })
      })
      return figures!.responseTime
    }
    const failedId = (await reply('first')).json.activityId as string
    await waitFor(r, failedId, (d) => d?.state === 'failed')
    expect(await inboxLogged(r, id, failedId)).toBe(false)
    expect(await responses()).toMatchObject({ count: 0, waiting: 1 })
    refuse = false
    const sentId = (await reply('second')).json.activityId as string
    await waitFor(r, sentId, (d) => d?.state === 'sent')
    expect(await inboxLogged(r, id, sentId)).toBe(true)
    expect(await responses()).toMatchObject({ count: 1, waiting: 0 })
  })

  it('[O4] a time-out after the request was written is looked up, never sent again: Sent when Twilio has it', async () => {
    const { r, fake, reply } = await setUp((q) =>
      q.method === 'GET'
        ? {
            status: 200,
            body: tw.messageList([tw.createdMessage('SM0008', NUMBER, CONTACT, 'Yes, until six')]),
          }
        : 'hold',
    )
    const activityId = (await reply()).json.activityId as string
    const sent = await waitFor(r, activityId, (d) => d?.state === 'sent')
    expect(sent).toMatchObject({ providerMessageId: 'SM0008' })
    expect(posts(fake)).toHaveLength(1)
    const lookup = fake.requests.find((q) => q.method === 'GET')!
    const query = new URL(lookup.url, fake.url).searchParams
    expect(query.get('From')).toBe(NUMBER)
    expect(query.get('To')).toBe(CONTACT)
    expect(query.get('DateSent>')).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  it('[O4] a time-out Twilio has no trace of becomes Unknown, with a resend offered', async () => {
    const { r, fake, alice, reply } = await setUp((q) =>
      q.method === 'GET' ? { status: 200, body: tw.messageList([]) } : 'hold',
    )
    const activityId = (await reply()).json.activityId as string
    const unknown = await waitFor(r, activityId, (d) => d?.state === 'unknown')
    expect(unknown).toMatchObject({ reason: 'could not confirm — check and resend' })
    expect(posts(fake)).toHaveLength(1)
    fake.answer = (q) => created(q, 'SM0009')
    const resend = await api(r, `/api/outgoing/${activityId}/resend`, { token: alice, body: {} })
    expect(resend.status).toBe(202)
    await waitFor(r, activityId, (d) => d?.state === 'sent' && d.attempt === 2)
  })
})
