import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { getConversation, listActivities, type Activity } from '@switchboard/core'
import { main, type RelayServer } from '../main.ts'
import { telnyxHeaders, telnyxKeys, twilioRequest } from '../providers/fixtures/sign.ts'
import * as telnyx from '../providers/fixtures/telnyx.ts'
import * as twilio from '../providers/fixtures/twilio.ts'
import { providerConversationId } from '../providers/provider-activity.ts'
import { incoming, sign, until } from '../test-helpers.ts'

const PUBLIC_URL = 'https://relay.example.com'
const TOKEN = 'twilio-auth-token'
const SID = 'AC' + '0123456789abcdef'.repeat(2)
const keys = telnyxKeys()

let srv: RelayServer
let hooks: string
beforeAll(async () => {
  srv = await main({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'webhook-listener-')),
    PORT: '0',
    WEBHOOK_PORT: '0',
    DEMO: '0',
    PUBLIC_URL,
  })
  hooks = srv.webhooks!.url
})
afterAll(() => srv?.close())

const roomActivities = async (conversationId: string): Promise<Activity[]> => {
  const stored = await srv.relay.storage.loadRoom(`conversation:${conversationId}`)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return listActivities(doc)
}
const inboxHas = async (phoneNumberId: string, conversationId: string) => {
  const stored = await srv.relay.storage.loadRoom(`inbox:${phoneNumberId}`)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return getConversation(doc, conversationId) !== null
}

/** A Twilio post to `base`, signed over PUBLIC_URL as Twilio signs the URL it was given. */
const twilioPost = (base: string, id: string, params: Record<string, string>, token = TOKEN) => {
  const path = `/api/webhooks/twilio/${id}`
  const req = twilioRequest(token, PUBLIC_URL + path, params)
  return fetch(base + path, { method: 'POST', headers: req.headers, body: req.body })
}

describe('WEBHOOK_PORT: the webhooks on a listener of their own', () => {
  it('[W3][W6] a signed Twilio SMS to the webhook port lands in the room once; a bad signature stores nothing', async () => {
    expect(srv.webhooks!.port).not.toBe(srv.port)
    // Connected after the relay started: the listener's copy learns of it.
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Front desk',
      number: twilio.incomingMessage.To,
      provider: 'twilio',
      credentials: { accountSid: SID, authToken: TOKEN },
    })
    const conversationId = providerConversationId(pn.id, twilio.incomingMessage.From)
    const activityId = `twilio-msg-${twilio.incomingMessage.MessageSid}`

    const forged = await twilioPost(hooks, pn.id, twilio.incomingMessage, 'not-the-token')
    expect(forged.status).toBe(403)
    expect(forged.headers.get('x-content-type-options')).toBe('nosniff')
    expect(srv.relay.storage.hasActivity(activityId)).toBe(false)
    expect(srv.relay.storage.getConversationPhoneNumber(conversationId)).toBeNull()

    const res = await twilioPost(hooks, pn.id, twilio.incomingMessage)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/xml')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect((await roomActivities(conversationId)).map((a) => a.id)).toEqual([activityId])
    expect(await inboxHas(pn.id, conversationId)).toBe(true)

    // The provider's retry, to the listener and to the main port (which still takes webhooks).
    expect((await twilioPost(hooks, pn.id, twilio.incomingMessage)).status).toBe(200)
    expect((await twilioPost(srv.url, pn.id, twilio.incomingMessage)).status).toBe(200)
    expect((await roomActivities(conversationId)).map((a) => a.id)).toEqual([activityId])
    // The listener's counts reach the relay's metrics.
    await until(
      () => srv.relay.metrics.webhookDuplicates.get('twilio') === 2,
      'two duplicates counted',
    )
    await until(
      () => srv.relay.metrics.authFailures.get('twilio-signature') === 1,
      'the forged post counted',
    )
  })

  it('[W1][W3] a Telnyx number connected later is known to the listener; only webhooks are served there', async () => {
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Support',
      number: '+14155550100',
      provider: 'telnyx',
      credentials: { apiKey: 'KEY1', publicKey: keys.publicKey },
    })
    const body = JSON.stringify(telnyx.messageReceived)
    const post = (headers: Record<string, string>) =>
      fetch(`${hooks}/api/webhooks/telnyx/${pn.id}`, { method: 'POST', headers, body })
    const payload = telnyx.messageReceived.data.payload
    const conversationId = providerConversationId(pn.id, payload.from.phone_number)
    const activityId = `telnyx-msg-${payload.id}`

    const stale = await post(telnyxHeaders(keys, body, Date.now() - 10 * 60_000))
    expect(stale.status).toBe(403)
    expect(srv.relay.storage.hasActivity(activityId)).toBe(false)

    const res = await post(telnyxHeaders(keys, body, Date.now()))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ activity: activityId, duplicate: false })
    const again = await post(telnyxHeaders(keys, body, Date.now()))
    expect(await again.json()).toEqual({ activity: activityId, duplicate: true })
    expect((await roomActivities(conversationId)).map((a) => a.id)).toEqual([activityId])

    expect(
      (await fetch(`${hooks}/api/webhooks/telnyx/pn-none`, { method: 'POST', body })).status,
    ).toBe(404)
    expect((await fetch(`${hooks}/healthz`)).status).toBe(404)
    expect((await fetch(`${hooks}/api/login`, { method: 'POST', body: '{}' })).status).toBe(404)
  })

  it('[K7][A5] a rotated token reaches the listener; the generic webhook is served there too', async () => {
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Sales',
      number: '+14155550143',
      provider: 'twilio',
      credentials: { accountSid: SID, authToken: 'old-token' },
    })
    const sms = (sid: string) => ({ ...twilio.incomingMessage, To: pn.number, MessageSid: sid })
    expect((await twilioPost(hooks, pn.id, sms('SMold'), 'old-token')).status).toBe(200)
    await srv.relay.admin.setCredentials(pn.id, {
      credentials: { accountSid: SID, authToken: 'new-token' },
    })
    // The change is sent to the listener's copy when the main thread next looks (a tenth of a second).
    let status = 0
    for (let i = 0; status !== 200 && i < 100; i++) {
      status = (await twilioPost(hooks, pn.id, sms(`SMnew${i}`), 'new-token')).status
      if (status !== 200) await new Promise((r) => setTimeout(r, 20))
    }
    expect(status).toBe(200)
    expect((await twilioPost(hooks, pn.id, sms('SMstale'), 'old-token')).status).toBe(403)

    const activity = incoming('c-generic', pn.id)
    const raw = JSON.stringify(activity)
    const post = (signature: string) =>
      fetch(`${hooks}/api/webhooks/activity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchboard-signature': signature },
        body: raw,
      })
    expect((await post(sign(raw, 'wrong'))).status).toBe(401)
    const res = await post(sign(raw, srv.relay.webhookHost.settings.webhookSecret))
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ accepted: 1, results: [{ duplicate: false }] })
    expect(srv.relay.storage.hasActivity(activity.id)).toBe(true)
  })

  it('[W2] the listener answers 503 with Retry-After when the relay cannot take a webhook in, and 413 over the cap', async () => {
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Night line',
      number: '+14155550144',
      provider: 'twilio',
      credentials: { accountSid: SID, authToken: TOKEN },
    })
    const sms = { ...twilio.incomingMessage, To: pn.number, MessageSid: 'SMwhilestopped' }
    srv.relay.handoff.loseLease()
    const refused = await twilioPost(hooks, pn.id, sms)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(srv.relay.storage.hasActivity('twilio-msg-SMwhilestopped')).toBe(false)
    srv.relay.handoff.regainLease()
    expect((await twilioPost(hooks, pn.id, sms)).status).toBe(200)
    expect(srv.relay.storage.hasActivity('twilio-msg-SMwhilestopped')).toBe(true)

    const big = await fetch(`${hooks}/api/webhooks/twilio/${pn.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'x'.repeat(srv.relay.maxFrameBytes + 1),
    })
    expect(big.status).toBe(413)
  })

  it('an occupied WEBHOOK_PORT stops the start, naming it', async () => {
    await expect(
      main({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'webhook-listener-taken-')),
        PORT: '0',
        WEBHOOK_PORT: String(srv.webhooks!.port),
        DEMO: '0',
      }),
    ).rejects.toThrow(`WEBHOOK_PORT ${srv.webhooks!.port}`)
  })
})
