/**
 * @module Twilio's form-encoded webhooks as activities: an incoming SMS/MMS
 * (https://www.twilio.com/docs/messaging/guides/webhook-request), a call's final status
 * (https://www.twilio.com/docs/voice/twiml#request-parameters, status callbacks) and a voicemail's
 * transcription (https://www.twilio.com/docs/voice/twiml/record#transcribecallback). The TwiML
 * that answers a call by recording a voicemail is here too.
 */
import type { ProviderAccount } from './provider-account.ts'
import { activityOf, providerActivityId, withMedia, type ParsedEvent } from './provider-activity.ts'

const missing = (field: string): ParsedEvent => ({
  ok: false,
  error: `${field} is required`,
  field,
})
const text = (p: URLSearchParams, name: string) => p.get(name)?.trim() || null

/** An incoming SMS or MMS; a status report of an outgoing message is acknowledged and ignored. */
export function parseTwilioMessage(
  account: ProviderAccount,
  p: URLSearchParams,
  now: number,
): ParsedEvent {
  const status = text(p, 'SmsStatus') ?? text(p, 'MessageStatus')
  if (status && status !== 'received' && status !== 'receiving')
    return { ok: true, activity: null, ignored: `message status '${status}' (outgoing)` }
  const sid = text(p, 'MessageSid') ?? text(p, 'SmsSid')
  if (!sid) return missing('MessageSid')
  const from = text(p, 'From')
  if (!from) return missing('From')
  const count = Number(p.get('NumMedia') ?? '0')
  if (!Number.isInteger(count) || count < 0 || count > 10)
    return { ok: false, error: 'NumMedia must be a whole number from 0 to 10', field: 'NumMedia' }
  const media: string[] = []
  for (let i = 0; i < count; i++) {
    const url = text(p, `MediaUrl${i}`)
    if (url) media.push(url)
  }
  return activityOf(account, {
    id: providerActivityId('twilio', 'msg', sid),
    kind: 'message',
    contact: from,
    direction: 'incoming',
    // Twilio's message webhook carries no time: the moment it reached the relay stands for it.
    at: now,
    body: withMedia(p.get('Body') ?? '', media),
    ours: text(p, 'To'),
  })
}

const FINAL_CALL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled'])

/** A call's final status becomes a call activity; earlier statuses are acknowledged and ignored. */
export function parseTwilioCallStatus(
  account: ProviderAccount,
  p: URLSearchParams,
  now: number,
): ParsedEvent {
  const sid = text(p, 'CallSid')
  if (!sid) return missing('CallSid')
  const status = text(p, 'CallStatus')
  if (!status) return missing('CallStatus')
  if (!FINAL_CALL_STATUSES.has(status))
    return { ok: true, activity: null, ignored: `call status '${status}' (not final)` }
  const outgoing = (p.get('Direction') ?? 'inbound').startsWith('outbound')
  const contact = text(p, outgoing ? 'To' : 'From')
  if (!contact) return missing(outgoing ? 'To' : 'From')
  const duration = Number(p.get('CallDuration') ?? '0')
  const answered = status === 'completed' && Number.isFinite(duration) && duration > 0
  const stamped = Date.parse(p.get('Timestamp') ?? '')
  return activityOf(account, {
    id: providerActivityId('twilio', 'call', sid),
    kind: 'call',
    contact,
    direction: outgoing ? 'outgoing' : 'incoming',
    at: Number.isFinite(stamped) ? stamped : now,
    durationSeconds: answered ? duration : 0,
    missed: !answered,
    contactName: text(p, 'CallerName') ?? undefined,
    ours: text(p, outgoing ? 'From' : 'To'),
  })
}

/** A voicemail's transcription (completed or failed) becomes the voicemail activity. */
export function parseTwilioTranscription(
  account: ProviderAccount,
  p: URLSearchParams,
  now: number,
): ParsedEvent {
  const sid = text(p, 'CallSid')
  if (!sid) return missing('CallSid')
  const from = text(p, 'From')
  if (!from) return missing('From')
  const transcript =
    p.get('TranscriptionStatus') === 'completed' ? text(p, 'TranscriptionText') : null
  const recording = text(p, 'RecordingUrl')
  return activityOf(account, {
    id: providerActivityId('twilio', 'vm', sid),
    kind: 'voicemail',
    contact: from,
    direction: 'incoming',
    at: now,
    body: recording ? `Recording: ${recording}` : undefined,
    transcript: transcript ?? undefined,
    ours: text(p, 'To'),
  })
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The TwiML that answers an incoming call: a greeting, then a voicemail of up to two minutes
 * (Twilio transcribes at most two), whose transcription is posted to `transcriptionUrl`; the
 * recording's end is posted to `recordedUrl`, which hangs up.
 */
export function voicemailTwiml(urls: { transcriptionUrl: string; recordedUrl: string }): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Response>',
    '<Say>Please leave a message after the tone.</Say>',
    `<Record maxLength="120" playBeep="true" transcribe="true" transcribeCallback="${escapeXml(urls.transcriptionUrl)}" action="${escapeXml(urls.recordedUrl)}"/>`,
    '</Response>',
  ].join('')
}

/** The TwiML that ends a call once its voicemail is recorded. */
export const hangupTwiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>'
