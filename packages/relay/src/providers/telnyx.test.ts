import { describe, expect, it } from 'vitest'
import type { ProviderAccount } from './provider-account.ts'
import { providerConversationId } from './provider-activity.ts'
import { parseTelnyx } from './telnyx-events.ts'
import { telnyxPublicKey, verifyTelnyx } from './telnyx-signature.ts'
import { telnyxKeys } from './fixtures/sign.ts'
import * as fixtures from './fixtures/telnyx.ts'

const keys = telnyxKeys()
const account: ProviderAccount = {
  phoneNumberId: 'pn-b',
  number: '+14155550100',
  provider: 'telnyx',
  credentials: { apiKey: 'KEY-1', publicKey: keys.publicKey },
}
const NOW = 1_780_000_000_000
const ts = String(NOW / 1000)
const body = JSON.stringify(fixtures.messageReceived)
const raw = new TextEncoder().encode(body)

describe('Telnyx signature', () => {
  it('[W3] accepts an Ed25519 signature of timestamp|body under the public key', async () => {
    const headers = { signature: keys.sign(ts, body), timestamp: ts }
    expect(await verifyTelnyx(keys.publicKey, headers, raw, NOW)).toEqual({ ok: true })
  })

  it('[W3] refuses another key, a changed body or timestamp, a missing header', async () => {
    const signature = keys.sign(ts, body)
    expect(
      (await verifyTelnyx(telnyxKeys().publicKey, { signature, timestamp: ts }, raw, NOW)).ok,
    ).toBe(false)
    const changed = new TextEncoder().encode(body.replace('Hello', 'Hullo'))
    expect(
      (await verifyTelnyx(keys.publicKey, { signature, timestamp: ts }, changed, NOW)).ok,
    ).toBe(false)
    const later = String(NOW / 1000 + 1)
    expect((await verifyTelnyx(keys.publicKey, { signature, timestamp: later }, raw, NOW)).ok).toBe(
      false,
    )
    expect(
      await verifyTelnyx(keys.publicKey, { signature: undefined, timestamp: ts }, raw, NOW),
    ).toEqual({ ok: false, reason: 'missing or malformed telnyx-signature-ed25519' })
    expect(
      (await verifyTelnyx(keys.publicKey, { signature, timestamp: undefined }, raw, NOW)).ok,
    ).toBe(false)
  })

  it('[W4] refuses a timestamp more than 5 minutes old or ahead, even well signed', async () => {
    for (const offset of [-301, 301]) {
      const t = String(NOW / 1000 + offset)
      const check = await verifyTelnyx(
        keys.publicKey,
        { signature: keys.sign(t, body), timestamp: t },
        raw,
        NOW,
      )
      expect(check.ok).toBe(false)
      expect(!check.ok && check.reason).toMatch(/more than 5 minutes/)
    }
    const t = String(NOW / 1000 - 299)
    expect(
      (
        await verifyTelnyx(
          keys.publicKey,
          { signature: keys.sign(t, body), timestamp: t },
          raw,
          NOW,
        )
      ).ok,
    ).toBe(true)
  })

  it('a public key that is not 32 bytes of base64 is no key', () => {
    expect(telnyxPublicKey('abc')).toBeNull()
    expect(telnyxPublicKey(Buffer.alloc(31).toString('base64'))).toBeNull()
  })
})

describe('Telnyx events', () => {
  it("[W5][W6] message.received is a message in the sender's conversation", () => {
    expect(parseTelnyx(account, fixtures.messageReceived, NOW)).toEqual({
      ok: true,
      activity: {
        id: 'telnyx-msg-7ee4241c-f127-47e5-9c34-3aac291f8058',
        conversationId: providerConversationId('pn-b', '+18665550001'),
        phoneNumberId: 'pn-b',
        direction: 'incoming',
        kind: 'message',
        from: '+18665550001',
        to: '+14155550100',
        at: Date.parse('2019-01-23T18:10:02.574Z'),
        body: 'Hello, World!',
      },
    })
  })

  it('call.hangup of a rejected call is a missed incoming call', () => {
    expect(parseTelnyx(account, fixtures.callHangup, NOW)).toMatchObject({
      ok: true,
      activity: {
        id: 'telnyx-call-428c31b6-7af4-4bcb-b7f5-5013ef9657c1',
        kind: 'call',
        direction: 'incoming',
        from: '+35319605860',
        missed: true,
        durationSeconds: 0,
      },
    })
    const answered = structuredClone(fixtures.callHangup)
    answered.data.payload.hangup_cause = 'normal_clearing'
    expect(parseTelnyx(account, answered, NOW)).toMatchObject({
      activity: { missed: false, durationSeconds: 300 },
    })
  })

  it('[W7] outgoing statuses are ignored; a body without data or a sender is malformed', () => {
    expect(parseTelnyx(account, fixtures.messageFinalized, NOW)).toMatchObject({
      ok: true,
      activity: null,
    })
    expect(parseTelnyx(account, {}, NOW)).toMatchObject({ ok: false, field: 'data' })
    const noFrom = structuredClone(fixtures.messageReceived) as { data: { payload: object } }
    noFrom.data.payload = { id: 'x' }
    expect(parseTelnyx(account, noFrom, NOW)).toMatchObject({
      ok: false,
      field: 'data.payload.from.phone_number',
    })
  })
})
