import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import type { ProviderAccount } from './provider-account.ts'
import { providerConversationId } from './provider-activity.ts'
import {
  parseTwilioCallStatus,
  parseTwilioMessage,
  parseTwilioTranscription,
  voicemailTwiml,
} from './twilio-events.ts'
import { twilioSignature, twilioSignedText, verifyTwilio } from './twilio-signature.ts'
import * as fixtures from './fixtures/twilio.ts'

const account: ProviderAccount = {
  phoneNumberId: 'pn-a',
  number: '+14155550142',
  provider: 'twilio',
  credentials: { accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', authToken: 'token-1' },
}
const NOW = Date.parse('2026-08-04T17:45:00Z')

describe('Twilio signature', () => {
  const ex = fixtures.signatureExample
  it("[W3] reproduces Twilio's published example", () => {
    const text = twilioSignedText(ex.url, new URLSearchParams(ex.params))
    expect(twilioSignature(ex.authToken, text)).toBe(ex.signature)
    expect(
      verifyTwilio(ex.authToken, ex.url, new URLSearchParams(ex.params), ex.signature),
    ).toEqual({ ok: true })
  })

  it('[W3] refuses another token, another URL, a changed parameter or no header', () => {
    const params = new URLSearchParams(ex.params)
    expect(verifyTwilio('54321', ex.url, params, ex.signature).ok).toBe(false)
    expect(verifyTwilio(ex.authToken, ex.url + '&x=1', params, ex.signature).ok).toBe(false)
    const changed = new URLSearchParams({ ...ex.params, Digits: '1235' })
    expect(verifyTwilio(ex.authToken, ex.url, changed, ex.signature).ok).toBe(false)
    expect(verifyTwilio(ex.authToken, ex.url, params, undefined)).toEqual({
      ok: false,
      reason: 'missing or malformed X-Twilio-Signature',
    })
    expect(verifyTwilio(ex.authToken, ex.url, params, 'not base64!').ok).toBe(false)
  })

  it('[W3] sorts parameters by name and keeps repeated values in order', () => {
    const params = new URLSearchParams([
      ['b', '2'],
      ['a', 'x'],
      ['a', 'y'],
    ])
    expect(twilioSignedText('https://h/p', params)).toBe('https://h/pax' + 'ay' + 'b2')
  })

  it('[W3] checks a JSON body through bodySHA256 in the signed URL', () => {
    const body = new TextEncoder().encode('{"MessageSid":"SM1"}')
    const hash = createHash('sha256').update(body).digest('hex')
    const url = `https://relay.example/api/webhooks/twilio/pn-a?bodySHA256=${hash}`
    const signature = twilioSignature('token-1', url)
    expect(verifyTwilio('token-1', url, new URLSearchParams(), signature, body).ok).toBe(true)
    const other = new TextEncoder().encode('{"MessageSid":"SM2"}')
    expect(verifyTwilio('token-1', url, new URLSearchParams(), signature, other)).toEqual({
      ok: false,
      reason: 'body does not match bodySHA256',
    })
  })
})

describe('Twilio events', () => {
  it("[W5][W6] an incoming MMS is a message in the sender's conversation, its media named", () => {
    const parsed = parseTwilioMessage(account, new URLSearchParams(fixtures.incomingMessage), NOW)
    expect(parsed).toEqual({
      ok: true,
      activity: {
        id: 'twilio-msg-SM1f0e8ae6ade43cb3c0ce4525424e404f',
        conversationId: providerConversationId('pn-a', '+14155550199'),
        phoneNumberId: 'pn-a',
        direction: 'incoming',
        kind: 'message',
        from: '+14155550199',
        to: '+14155550142',
        at: NOW,
        body: `Hello from Twilio!\n[1 attachment: ${fixtures.incomingMessage.MediaUrl0}]`,
      },
    })
  })

  it('[W7] a message without MessageSid or From is malformed; a status report is ignored', () => {
    const { MessageSid: _m, SmsSid: _s, SmsMessageSid: _x, ...noSid } = fixtures.incomingMessage
    expect(parseTwilioMessage(account, new URLSearchParams(noSid), NOW)).toMatchObject({
      ok: false,
      field: 'MessageSid',
    })
    const { From: _f, ...noFrom } = fixtures.incomingMessage
    expect(parseTwilioMessage(account, new URLSearchParams(noFrom), NOW)).toMatchObject({
      ok: false,
      field: 'From',
    })
    const status = new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'delivered' })
    expect(parseTwilioMessage(account, status, NOW)).toMatchObject({ ok: true, activity: null })
  })

  it("[W9] an event of another of the account's numbers is ignored, not filed here", () => {
    const other = { ...fixtures.incomingMessage, To: '+14155550999' }
    expect(parseTwilioMessage(account, new URLSearchParams(other), NOW)).toEqual({
      ok: true,
      activity: null,
      ignored: 'event of another phone number',
    })
  })

  it("[W8] a completed call is a call of its duration at Twilio's timestamp", () => {
    const parsed = parseTwilioCallStatus(account, new URLSearchParams(fixtures.callCompleted), NOW)
    expect(parsed).toMatchObject({
      ok: true,
      activity: {
        id: 'twilio-call-CA5b2a6b4de0a2a5b9b9f9e6c1a9a7b0f1',
        kind: 'call',
        direction: 'incoming',
        from: '+14155550199',
        durationSeconds: 42,
        missed: false,
        at: Date.parse('2026-08-04T17:42:01Z'),
      },
    })
  })

  it('a no-answer call is missed; a ringing one is ignored', () => {
    const noAnswer = { ...fixtures.callCompleted, CallStatus: 'no-answer', CallDuration: '0' }
    expect(parseTwilioCallStatus(account, new URLSearchParams(noAnswer), NOW)).toMatchObject({
      activity: { missed: true, durationSeconds: 0 },
    })
    const ringing = { ...fixtures.callCompleted, CallStatus: 'ringing' }
    expect(parseTwilioCallStatus(account, new URLSearchParams(ringing), NOW)).toMatchObject({
      ok: true,
      activity: null,
    })
  })

  it('a transcription is the voicemail of its call, with the transcript', () => {
    const parsed = parseTwilioTranscription(
      account,
      new URLSearchParams(fixtures.transcription),
      NOW,
    )
    expect(parsed).toMatchObject({
      ok: true,
      activity: {
        id: 'twilio-vm-CA5b2a6b4de0a2a5b9b9f9e6c1a9a7b0f1',
        kind: 'voicemail',
        conversationId: providerConversationId('pn-a', '+14155550199'),
        transcript: fixtures.transcription.TranscriptionText,
      },
    })
    const failed = { ...fixtures.transcription, TranscriptionStatus: 'failed' }
    const parsedFailed = parseTwilioTranscription(account, new URLSearchParams(failed), NOW)
    expect(parsedFailed.ok && parsedFailed.activity?.transcript).toBeUndefined()
  })

  it('the voice answer records a transcribed voicemail and names our callbacks', () => {
    const twiml = voicemailTwiml({
      transcriptionUrl: 'https://r.example/x/transcription?a=1&b=2',
      recordedUrl: 'https://r.example/x/recorded',
    })
    expect(twiml).toContain('transcribe="true"')
    expect(twiml).toContain('transcribeCallback="https://r.example/x/transcription?a=1&#38;b=2"')
    expect(twiml).toContain('action="https://r.example/x/recorded"')
  })
})
