import { afterEach, describe, expect, it, vi } from 'vitest'
import { Webhook } from 'standardwebhooks'
import type { ProviderAccount } from './provider-account.ts'
import { providerConversationId } from './provider-activity.ts'
import { parseQuo } from './quo-events.ts'
import { quoAppSignature, verifyQuo, type QuoHeaders } from './quo-signature.ts'
import * as fixtures from './fixtures/quo.ts'

const APP_KEY = Buffer.from('quo-app-signing-key-0123456789').toString('base64')
const account: ProviderAccount = {
  phoneNumberId: 'pn-a',
  number: '+15555555555',
  provider: 'quo',
  credentials: { apiKey: 'quo-api-key', webhookSecret: APP_KEY },
}
const none: QuoHeaders = {
  openphoneSignature: undefined,
  webhookId: undefined,
  webhookTimestamp: undefined,
  webhookSignature: undefined,
}
const enc = (s: string) => new TextEncoder().encode(s)

afterEach(() => vi.useRealTimers())

describe('Quo signatures', () => {
  it("[W3] reproduces the Standard Webhooks spec's published vector", () => {
    const ex = fixtures.standardWebhooksExample
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Number(ex.timestamp) * 1000)
    const headers = {
      ...none,
      webhookId: ex.id,
      webhookTimestamp: ex.timestamp,
      webhookSignature: ex.signature,
    }
    expect(verifyQuo(ex.secret, headers, enc(ex.body), Date.now())).toEqual({
      ok: true,
      scheme: 'standard',
    })
    expect(verifyQuo(ex.secret, headers, enc(ex.body + ' '), Date.now()).ok).toBe(false)
  })

  it('[W3] accepts an app webhook signed hmac;1;<ms>;<base64> with the decoded key', () => {
    const now = Date.now()
    const body = enc(JSON.stringify(fixtures.appMessageReceived))
    const header = quoAppSignature(APP_KEY, String(now), body)
    expect(verifyQuo(APP_KEY, { ...none, openphoneSignature: header }, body, now)).toEqual({
      ok: true,
      scheme: 'app',
    })
    const other = quoAppSignature(Buffer.from('other').toString('base64'), String(now), body)
    expect(verifyQuo(APP_KEY, { ...none, openphoneSignature: other }, body, now)).toMatchObject({
      ok: false,
      reason: 'bad openphone-signature',
    })
    expect(verifyQuo(APP_KEY, { ...none, openphoneSignature: 'hmac;2;x;y' }, body, now).ok).toBe(
      false,
    )
    expect(verifyQuo(APP_KEY, none, body, now)).toEqual({
      ok: false,
      reason: 'missing openphone-signature or webhook-signature',
    })
  })

  it('[W4] refuses a stale timestamp either way', () => {
    const now = Date.now()
    const body = enc('{}')
    const old = String(now - 6 * 60_000)
    expect(
      verifyQuo(
        APP_KEY,
        { ...none, openphoneSignature: quoAppSignature(APP_KEY, old, body) },
        body,
        now,
      ),
    ).toMatchObject({ ok: false, reason: 'signature timestamp is more than 5 minutes old' })
    const secret = 'whsec_' + Buffer.from('standard-key-0123456789').toString('base64')
    const at = new Date(now - 6 * 60_000)
    const signature = new Webhook(secret).sign('msg_1', at, body)
    const headers = {
      ...none,
      webhookId: 'msg_1',
      webhookTimestamp: String(Math.floor(at.getTime() / 1000)),
      webhookSignature: signature,
    }
    expect(verifyQuo(secret, headers, body, now)).toMatchObject({ ok: false })
  })

  it('[W3] the headers choose the scheme: a whsec_ key never checks an app signature', () => {
    const now = Date.now()
    const body = enc('{}')
    const secret = 'whsec_' + APP_KEY
    const header = quoAppSignature(APP_KEY, String(now), body)
    expect(verifyQuo(secret, { ...none, openphoneSignature: header }, body, now).ok).toBe(false)
  })
})

describe('Quo events', () => {
  it("[W5][W6] an app message.received is a message in the sender's conversation", () => {
    const parsed = parseQuo(account, fixtures.appMessageReceived, 0)
    expect(parsed).toEqual({
      ok: true,
      activity: {
        id: 'quo-msg-AC24a8b8321c4f4cf2be110f4250793d51',
        conversationId: providerConversationId('pn-a', '+19876543210'),
        phoneNumberId: 'pn-a',
        direction: 'incoming',
        kind: 'message',
        from: '+19876543210',
        to: '+15555555555',
        at: Date.parse('2022-01-24T19:22:25.000Z'),
        body: `Hello, world!\n[1 attachment: ${fixtures.appMessageReceived.data.object.media[0]!.url}]`,
      },
    })
  })

  it('an API (Standard Webhooks) message.received reads data.resource', () => {
    expect(parseQuo(account, fixtures.betaMessageReceived, 0)).toMatchObject({
      ok: true,
      activity: { from: '+19876543210', body: 'Is the shop open on Sunday?' },
    })
  })

  it('call.completed with a voicemail is a voicemail; an answered call is a call', () => {
    expect(parseQuo(account, fixtures.appCallCompletedWithVoicemail, 0)).toMatchObject({
      ok: true,
      activity: {
        id: 'quo-vm-ACa29ee906a4e04312a6c7f9d0b0c1ac22',
        kind: 'voicemail',
        from: '+19876543210',
        durationSeconds: 7,
      },
    })
    expect(parseQuo(account, fixtures.apiCallCompleted, 0)).toMatchObject({
      ok: true,
      activity: {
        id: 'quo-call-ACsXlF0',
        kind: 'call',
        direction: 'outgoing',
        from: '+15555555555',
        to: '+15555550123',
        durationSeconds: 60,
        missed: false,
      },
    })
  })

  it('a transcript longer than an activity holds is cut, not refused', () => {
    const long = structuredClone(fixtures.appCallCompletedWithVoicemail) as unknown as {
      data: { object: { voicemail: Record<string, unknown> } }
    }
    long.data.object.voicemail.transcript = 'a'.repeat(12_000)
    const parsed = parseQuo(account, long, 0)
    expect(parsed.ok && parsed.activity?.transcript?.length).toBe(10_000)
  })

  it('[W7][W10] summaries are not activities (the route attaches them to their call); a body without an object is malformed', () => {
    expect(parseQuo(account, fixtures.callSummaryCompleted, 0)).toMatchObject({
      ok: true,
      activity: null,
    })
    expect(parseQuo(account, { type: 'message.received', data: {} }, 0)).toMatchObject({
      ok: false,
      field: 'data.resource',
    })
    expect(parseQuo(account, [], 0)).toMatchObject({ ok: false, field: 'body' })
  })
})
