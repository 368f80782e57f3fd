/**
 * @module The provider webhooks workload 9 sends, shaped like the relay's test fixtures
 * (packages/relay/src/providers/fixtures/{twilio,telnyx,quo}.ts, which name the documentation
 * page each came from) with a fresh message id and contact per message, each signed as its
 * provider signs: Twilio's `X-Twilio-Signature`, Telnyx's Ed25519, Quo's `openphone-signature`
 * and Standard Webhooks — with the relay's own test signers (`@switchboard/relay/testing`).
 */
import {
  quoAppHeaders,
  quoStandardHeaders,
  telnyxHeaders,
  twilioRequest,
  type telnyxKeys,
} from '@switchboard/relay/testing'

export type Provider = 'twilio' | 'telnyx' | 'quo'

/** A connected number as the load sees it: where to post and the secret to sign with. */
export interface WebhookNumber {
  provider: Provider
  /** Its `webhookUrl` from the admin API (Twilio signs this URL). */
  webhookUrl: string
  number: string
  /** Twilio's auth token, or Quo's base64 webhook secret; Telnyx signs with the load's key. */
  secret?: string
}

export interface SignedRequest {
  url: string
  headers: Record<string, string>
  body: string
  /** The activity id the relay derives from the provider's message id [W6]. */
  activityId: string
}

export type TelnyxKeys = ReturnType<typeof telnyxKeys>

/** Contact `i`: 1,000 per run; a warm-up's (`base` 1,000) are others, so the run still opens new conversations. */
const contact = (i: number, base: number) => `+1555${String(2_000_000 + base + (i % 1000))}`

function twilio(n: WebhookNumber, i: number, run: string, base: number): SignedRequest {
  const sid = `SM${run}${String(i).padStart(24, '0')}`.slice(0, 34)
  const params: Record<string, string> = {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: `Hello from Twilio! #${i}`,
    To: n.number,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    From: contact(i, base),
    ApiVersion: '2010-04-01',
  }
  const { body, headers } = twilioRequest(n.secret!, n.webhookUrl, params)
  return { url: n.webhookUrl, headers, body, activityId: `twilio-msg-${sid}` }
}

function telnyx(
  n: WebhookNumber,
  i: number,
  run: string,
  keys: TelnyxKeys,
  base: number,
): SignedRequest {
  const id = `${run}-${i}`
  const body = JSON.stringify({
    data: {
      record_type: 'event',
      id: `ev-${id}`,
      event_type: 'message.received',
      occurred_at: new Date().toISOString(),
      payload: {
        record_type: 'message',
        direction: 'inbound',
        id,
        type: 'SMS',
        from: {
          phone_number: contact(i, base),
          carrier: 'T-MOBILE USA, INC.',
          line_type: 'Wireless',
        },
        to: [{ phone_number: n.number, status: 'delivered', carrier: 'TELNYX LLC' }],
        cc: [],
        text: `Hello, World! #${i}`,
        media: [],
        encoding: 'GSM-7',
        parts: 1,
      },
    },
    meta: { attempt: 1, delivered_to: n.webhookUrl },
  })
  return {
    url: n.webhookUrl,
    headers: telnyxHeaders(keys, body, Date.now()),
    body,
    activityId: `telnyx-msg-${id}`,
  }
}

/** Quo's app webhooks (`openphone-signature`) for even messages, Standard Webhooks for odd ones. */
function quo(n: WebhookNumber, i: number, run: string, base: number): SignedRequest {
  const id = `AC${run}${i}`
  const body = JSON.stringify({
    id: `EV${run}${i}`,
    object: 'event',
    apiVersion: 'v2',
    createdAt: new Date().toISOString(),
    type: 'message.received',
    data: {
      object: {
        id,
        object: 'message',
        from: contact(i, base),
        to: n.number,
        direction: 'incoming',
        body: `Hello, world! #${i}`,
        media: [],
        status: 'received',
        createdAt: new Date().toISOString(),
        userId: 'USu5AsEHuQ',
        phoneNumberId: 'PNtoDbDhuz',
      },
    },
  })
  const now = Date.now()
  const headers =
    i % 2 === 0
      ? quoAppHeaders(n.secret!, body, now)
      : quoStandardHeaders(n.secret!, `msg_${run}${i}`, body, now)
  return {
    url: n.webhookUrl,
    headers,
    body,
    activityId: `quo-msg-${id}`,
  }
}

/** Message `i` of the run: the providers take turns. */
export function signedRequest(
  numbers: WebhookNumber[],
  i: number,
  run: string,
  telnyxKeys: TelnyxKeys,
  contactBase = 0,
): SignedRequest {
  const n = numbers[i % numbers.length]!
  if (n.provider === 'twilio') return twilio(n, i, run, contactBase)
  if (n.provider === 'telnyx') return telnyx(n, i, run, telnyxKeys, contactBase)
  return quo(n, i, run, contactBase)
}
