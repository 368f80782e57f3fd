import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { getConversation, listActivities, type Activity } from '@switchboard/core'
import { connectProvider, startTestRelay, until, type TestRelay } from '../test-helpers.ts'
import { createSqliteStorage } from '../storage/sqlite.ts'
import type { ProviderAccount, ProviderAccounts } from './provider-account.ts'
import { providerConversationId } from './provider-activity.ts'
import {
  quoAppHeaders,
  quoStandardHeaders,
  telnyxHeaders,
  telnyxKeys,
  twilioRequest,
} from './fixtures/sign.ts'
import * as quo from './fixtures/quo.ts'
import * as telnyx from './fixtures/telnyx.ts'
import * as twilio from './fixtures/twilio.ts'

const TOKEN = 'twilio-auth-token'
const keys = telnyxKeys()
const QUO_KEY = Buffer.from('quo-app-key-0123456789abcdef').toString('base64')
const QUO_WHSEC = 'whsec_' + Buffer.from('quo-api-key-0123456789abcdef').toString('base64')

const accountList: ProviderAccount[] = [
  {
    phoneNumberId: 'pn-a',
    number: '+14155550142',
    provider: 'twilio',
    credentials: { accountSid: 'AC1', authToken: TOKEN },
  },
  {
    phoneNumberId: 'pn-b',
    number: '+14155550100',
    provider: 'telnyx',
    credentials: { apiKey: 'KEY1', publicKey: keys.publicKey },
  },
  {
    phoneNumberId: 'pn-q',
    number: '+15555555555',
    provider: 'quo',
    credentials: { apiKey: 'quo-key', webhookSecret: QUO_KEY },
  },
  {
    phoneNumberId: 'pn-s',
    number: '+15555555556',
    provider: 'quo',
    credentials: { apiKey: 'quo-key', webhookSecret: QUO_WHSEC },
  },
]
const accounts: ProviderAccounts = {
  get: (id) => accountList.find((a) => a.phoneNumberId === id) ?? null,
}

let r: TestRelay
beforeAll(async () => {
  r = await startTestRelay({
    storage: createSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'provider-webhooks-')), 'relay.db'),
    }),
    providerAccounts: accounts,
  })
  await r.relay.admin.createPhoneNumber({ id: 'pn-q', name: 'Quo app', number: '+15555555555' })
  await r.relay.admin.createPhoneNumber({ id: 'pn-s', name: 'Quo API', number: '+15555555556' })
})
afterAll(() => r.close())

const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${r.url}${path}`, { method: 'POST', headers, body })

const twilioPost = (path: string, params: Record<string, string>, token = TOKEN) => {
  const req = twilioRequest(token, `${r.url}${path}`, params)
  return post(path, req.body, req.headers)
}

const roomDoc = async (name: string) => {
  const stored = await r.storage.loadRoom(name)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return doc
}
const activitiesOf = async (conversationId: string): Promise<Activity[]> =>
  listActivities(await roomDoc(`conversation:${conversationId}`))

/** Nothing of the contact's conversation was stored: no activity, no directory row, no room. */
async function expectNothingStored(phoneNumberId: string, contact: string, activityId?: string) {
  const conversationId = providerConversationId(phoneNumberId, contact)
  expect(r.storage.getConversationPhoneNumber(conversationId)).toBeNull()
  if (activityId) expect(r.storage.hasActivity(activityId)).toBe(false)
  expect(await activitiesOf(conversationId)).toEqual([])
  expect(getConversation(await roomDoc(`inbox:${phoneNumberId}`), conversationId)).toBeNull()
}

describe('provider webhooks through the relay', () => {
  it('[W5][W6] a signed Twilio SMS makes the conversation appear live in the inbox, once', async () => {
    const alice = await r.login('alice@example.com')
    const client = connectProvider(r.wsUrl, 'inbox:pn-a', alice)
    await client.synced
    const conversationId = providerConversationId('pn-a', twilio.incomingMessage.From)
    const path = '/api/webhooks/twilio/pn-a'
    const res = await twilioPost(path, twilio.incomingMessage)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/xml')
    await until(() => getConversation(client.doc, conversationId) !== null, 'live conversation')
    expect(getConversation(client.doc, conversationId)).toMatchObject({
      status: 'open',
      unread: true,
      participants: [twilio.incomingMessage.From],
    })
    client.destroy()
    const log = (await r.storage.logSize('inbox:pn-a')).count
    // Twilio retries a delivery it did not hear back from; twice at once, then once more.
    const again = await Promise.all([
      twilioPost(path, twilio.incomingMessage),
      twilioPost(path, twilio.incomingMessage),
    ])
    expect(again.map((x) => x.status)).toEqual([200, 200])
    expect((await twilioPost(path, twilio.incomingMessage)).status).toBe(200)
    expect((await r.storage.logSize('inbox:pn-a')).count).toBe(log)
    const stored = await activitiesOf(conversationId)
    expect(stored.map((a) => a.id)).toEqual(['twilio-msg-SM1f0e8ae6ade43cb3c0ce4525424e404f'])
    expect(stored[0]!.body).toContain('Hello from Twilio!')
    expect(r.storage.getConversationPhoneNumber(conversationId)).toBe('pn-a')
  })

  it("[W5] Twilio's call, voicemail and SMS of one contact share one conversation", async () => {
    const contact = '+14155550177'
    const voice = await twilioPost('/api/webhooks/twilio/pn-a/voice', {
      CallSid: 'CA77',
      From: contact,
      To: '+14155550142',
      CallStatus: 'ringing',
      Direction: 'inbound',
    })
    expect(voice.status).toBe(200)
    const twiml = await voice.text()
    expect(twiml).toContain('<Record')
    expect(twiml).toContain(
      `transcribeCallback="${r.url}/api/webhooks/twilio/pn-a/voice/transcription"`,
    )
    expect(twiml).toContain(`action="${r.url}/api/webhooks/twilio/pn-a/voice/recorded"`)
    const recorded = await twilioPost('/api/webhooks/twilio/pn-a/voice/recorded', {
      CallSid: 'CA77',
      RecordingUrl: 'https://api.twilio.com/rec',
      RecordingDuration: '9',
    })
    expect(await recorded.text()).toContain('<Hangup/>')
    const status = { ...twilio.callCompleted, CallSid: 'CA77', From: contact, Caller: contact }
    expect((await twilioPost('/api/webhooks/twilio/pn-a/voice/status', status)).status).toBe(200)
    const vm = { ...twilio.transcription, CallSid: 'CA77', From: contact }
    expect((await twilioPost('/api/webhooks/twilio/pn-a/voice/transcription', vm)).status).toBe(200)
    const sms = { ...twilio.incomingMessage, MessageSid: 'SM77', From: contact }
    expect((await twilioPost('/api/webhooks/twilio/pn-a', sms)).status).toBe(200)
    const kinds = (await activitiesOf(providerConversationId('pn-a', contact))).map((a) => a.kind)
    expect(kinds.sort()).toEqual(['call', 'message', 'voicemail'])
  })

  it('[W3] a Twilio webhook with a bad or missing signature is 403 and stores nothing', async () => {
    const params = { ...twilio.incomingMessage, MessageSid: 'SM403', From: '+14155550403' }
    const wrong = await twilioPost('/api/webhooks/twilio/pn-a', params, 'another-token')
    expect(wrong.status).toBe(403)
    expect(await wrong.json()).toEqual({ error: 'bad X-Twilio-Signature' })
    const bare = await post('/api/webhooks/twilio/pn-a', new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(bare.status).toBe(403)
    // Signed for another path of the same number: the URL is part of what Twilio signs.
    const req = twilioRequest(TOKEN, `${r.url}/api/webhooks/twilio/pn-a/voice/status`, params)
    expect((await post('/api/webhooks/twilio/pn-a', req.body, req.headers)).status).toBe(403)
    await expectNothingStored('pn-a', '+14155550403', 'twilio-msg-SM403')
  })

  it('[W1] an unknown number, or a number of another provider, is 404 and stores nothing', async () => {
    const params = { ...twilio.incomingMessage, MessageSid: 'SM404', From: '+14155550404' }
    for (const path of ['/api/webhooks/twilio/pn-zzz', '/api/webhooks/twilio/pn-b']) {
      const res = await twilioPost(path, params)
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ error: 'unknown number' })
    }
    const body = JSON.stringify(telnyx.messageReceived)
    const res = await post('/api/webhooks/telnyx/pn-a', body, telnyxHeaders(keys, body, Date.now()))
    expect(res.status).toBe(404)
    await expectNothingStored('pn-a', '+14155550404', 'twilio-msg-SM404')
    await expectNothingStored('pn-a', '+18665550001')
  })

  it('[W7] a signed Twilio body lacking MessageSid, or not a form, is 400 and stores nothing', async () => {
    const { MessageSid: _a, SmsSid: _b, SmsMessageSid: _c, ...rest } = twilio.incomingMessage
    const res = await twilioPost('/api/webhooks/twilio/pn-a', { ...rest, From: '+14155550400' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'MessageSid is required', field: 'MessageSid' })
    const text = await post('/api/webhooks/twilio/pn-a', 'hello', { 'content-type': 'text/plain' })
    expect(text.status).toBe(400)
    await expectNothingStored('pn-a', '+14155550400')
  })

  it('[W9] a signed event of another number of the same account is acknowledged and not stored', async () => {
    const event = structuredClone(telnyx.messageReceived)
    event.data.payload.id = 'telnyx-other-number'
    event.data.payload.from.phone_number = '+18665550909'
    event.data.payload.to[0]!.phone_number = '+14155550999'
    const body = JSON.stringify(event)
    const res = await post('/api/webhooks/telnyx/pn-b', body, telnyxHeaders(keys, body, Date.now()))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ignored: 'event of another phone number' })
    await expectNothingStored('pn-b', '+18665550909', 'telnyx-msg-telnyx-other-number')
  })

  it('[W2] a body over the cap is 413 before it is read', async () => {
    const res = await post('/api/webhooks/quo/pn-q', new Uint8Array(r.relay.maxFrameBytes + 1), {
      'content-type': 'application/json',
    })
    expect(res.status).toBe(413)
  })

  it('[W2][A5] a chunked body is 413 once it passes the cap, read from the socket as it comes', async () => {
    const chunk = new Uint8Array(64 * 1024)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > r.relay.maxFrameBytes * 4) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const res = await fetch(`${r.url}/api/webhooks/telnyx/pn-b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ field: 'body', limit: r.relay.maxFrameBytes })
  })

  it('[W6] a signed Telnyx message.received is ingested once; a retry answers 200', async () => {
    const body = JSON.stringify(telnyx.messageReceived)
    const first = await post(
      '/api/webhooks/telnyx/pn-b',
      body,
      telnyxHeaders(keys, body, Date.now()),
    )
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({
      activity: 'telnyx-msg-7ee4241c-f127-47e5-9c34-3aac291f8058',
      duplicate: false,
    })
    const retry = await post(
      '/api/webhooks/telnyx/pn-b',
      body,
      telnyxHeaders(keys, body, Date.now()),
    )
    expect(await retry.json()).toMatchObject({ duplicate: true })
    const conversationId = providerConversationId('pn-b', '+18665550001')
    expect((await activitiesOf(conversationId)).map((a) => a.body)).toEqual(['Hello, World!'])
    expect(getConversation(await roomDoc('inbox:pn-b'), conversationId)).toMatchObject({
      unread: true,
    })
  })

  it('[W6] deliveries of one Telnyx message at once are taken in once', async () => {
    const event = structuredClone(telnyx.messageReceived)
    event.data.payload.id = 'telnyx-concurrent'
    event.data.payload.from.phone_number = '+18665550777'
    const body = JSON.stringify(event)
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        post('/api/webhooks/telnyx/pn-b', body, telnyxHeaders(keys, body, Date.now())).then(
          (res) => res.json() as Promise<{ duplicate: boolean }>,
        ),
      ),
    )
    expect(answers.filter((a) => !a.duplicate)).toHaveLength(1)
    const conversationId = providerConversationId('pn-b', '+18665550777')
    expect(await activitiesOf(conversationId)).toHaveLength(1)
    const log = await r.storage.loadRoom('inbox:pn-b')
    const inbox = new Y.Doc()
    if (log.snapshot) Y.applyUpdate(inbox, log.snapshot)
    for (const u of log.updates) Y.applyUpdate(inbox, u.data)
    expect(getConversation(inbox, conversationId)).toMatchObject({ unread: true })
  })

  it('[W3][W4][W7] Telnyx: a stale or bad signature is 403, a signed non-JSON body 400, an outgoing status ignored — nothing stored', async () => {
    const event = structuredClone(telnyx.messageReceived)
    event.data.payload.id = 'telnyx-refused'
    event.data.payload.from.phone_number = '+18665550403'
    const body = JSON.stringify(event)
    const stale = await post(
      '/api/webhooks/telnyx/pn-b',
      body,
      telnyxHeaders(keys, body, Date.now() - 6 * 60_000),
    )
    expect(stale.status).toBe(403)
    expect(await stale.json()).toEqual({ error: 'signature timestamp is more than 5 minutes old' })
    const forged = await post(
      '/api/webhooks/telnyx/pn-b',
      body,
      telnyxHeaders(telnyxKeys(), body, Date.now()),
    )
    expect(forged.status).toBe(403)
    const notJson = '{"data":'
    const bad = await post(
      '/api/webhooks/telnyx/pn-b',
      notJson,
      telnyxHeaders(keys, notJson, Date.now()),
    )
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ error: 'body must be JSON', field: 'body' })
    const finalized = JSON.stringify(telnyx.messageFinalized)
    const ignored = await post(
      '/api/webhooks/telnyx/pn-b',
      finalized,
      telnyxHeaders(keys, finalized, Date.now()),
    )
    expect(ignored.status).toBe(200)
    // [O8] A delivery report of no reply the relay sent is acknowledged and changes nothing.
    expect(await ignored.json()).toEqual({
      ignored: `no reply has the message id ${telnyx.messageFinalized.data.payload.id}`,
    })
    await expectNothingStored('pn-b', '+18665550403')
    await expectNothingStored('pn-b', '+13125550001')
  })

  it('[W3] Quo: an app webhook and an API (Standard Webhooks) one are each checked by their headers', async () => {
    const app = JSON.stringify(quo.appMessageReceived)
    const res = await post('/api/webhooks/quo/pn-q', app, quoAppHeaders(QUO_KEY, app, Date.now()))
    expect(res.status).toBe(200)
    const conversationId = providerConversationId('pn-q', '+19876543210')
    expect((await activitiesOf(conversationId)).map((a) => a.id)).toEqual([
      'quo-msg-AC24a8b8321c4f4cf2be110f4250793d51',
    ])
    const api = JSON.stringify({
      ...quo.betaMessageReceived,
      data: {
        ...quo.betaMessageReceived.data,
        resource: { ...quo.betaMessageReceived.data.resource, to: ['+15555555556'] },
      },
    })
    const ok = await post(
      '/api/webhooks/quo/pn-s',
      api,
      quoStandardHeaders(QUO_WHSEC, 'msg_1', api, Date.now()),
    )
    expect(ok.status).toBe(200)
    expect(await activitiesOf(providerConversationId('pn-s', '+19876543210'))).toHaveLength(1)
    // The app key does not sign for the API webhook's number, and a body changed after signing fails.
    const wrongKey = await post(
      '/api/webhooks/quo/pn-s',
      app,
      quoAppHeaders(QUO_KEY, app, Date.now()),
    )
    expect(wrongKey.status).toBe(403)
    const vm = JSON.stringify(quo.appCallCompletedWithVoicemail)
    const headers = quoAppHeaders(QUO_KEY, vm, Date.now())
    const changed = await post(
      '/api/webhooks/quo/pn-q',
      vm.replace('+19876543210', '+19876543299'),
      headers,
    )
    expect(changed.status).toBe(403)
    expect(await changed.json()).toEqual({ error: 'bad openphone-signature' })
    await expectNothingStored('pn-q', '+19876543299')
    await expectNothingStored('pn-s', '+19876543299')
    expect((await post('/api/webhooks/quo/pn-q', vm, headers)).status).toBe(200)
    expect((await activitiesOf(conversationId)).map((a) => a.kind).sort()).toEqual([
      'message',
      'voicemail',
    ])
  })
})
