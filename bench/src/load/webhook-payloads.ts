/**
 * @module The provider webhooks workload 9 sends, shaped like the relay's test fixtures
 * (packages/relay/src/providers/fixtures/{twilio,telnyx,quo}.ts, which name the documentation
 * page each came from) with a fresh message id and contact per message, each signed as its
 * provider signs: Twilio's `X-Twilio-Signature`, Telnyx's Ed25519, Quo's `openphone-signature`
 * and Standard Webhooks. Copied rather than imported: the relay package exports no fixtures.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

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

/** The Telnyx key pair: the public key as the raw 32 bytes in base64, as the portal shows it. */
export function telnyxKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x!
  return { publicKey: Buffer.from(x, 'base64url').toString('base64'), privateKey }
}

const contact = (i: number) => `+1555${String(2_000_000 + (i % 1000))}`

/** Twilio signs the URL followed by each POST parameter's name and value, sorted by name. */
function twilioSignature(authToken: string, url: string, params: Record<string, string>) {
  const text = Object.keys(params)
    .sort()
    .reduce((s, k) => s + k + params[k], url)
  return createHmac('sha1', authToken).update(text).digest('base64')
}

function twilio(n: WebhookNumber, i: number, run: string): SignedRequest {
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
    From: contact(i),
    ApiVersion: '2010-04-01',
  }
  return {
    url: n.webhookUrl,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(n.secret!, n.webhookUrl, params),
    },
    body: new URLSearchParams(params).toString(),
    activityId: `twilio-msg-${sid}`,
  }
}

function telnyx(n: WebhookNumber, i: number, run: string, key: KeyObject): SignedRequest {
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
        from: { phone_number: contact(i), carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' },
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
  const timestamp = String(Math.floor(Date.now() / 1000))
  return {
    url: n.webhookUrl,
    headers: {
      'content-type': 'application/json',
      'telnyx-timestamp': timestamp,
      'telnyx-signature-ed25519': sign(null, Buffer.from(`${timestamp}|${body}`), key).toString(
        'base64',
      ),
    },
    body,
    activityId: `telnyx-msg-${id}`,
  }
}

/** Quo's app webhooks (`openphone-signature`) for even messages, Standard Webhooks for odd ones. */
function quo(n: WebhookNumber, i: number, run: string): SignedRequest {
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
        from: contact(i),
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
  const key = Buffer.from(n.secret!, 'base64')
  const now = Date.now()
  let headers: Record<string, string>
  if (i % 2 === 0) {
    const mac = createHmac('sha256', key).update(`${now}.${body}`).digest('base64')
    headers = { 'openphone-signature': `hmac;1;${now};${mac}` }
  } else {
    const webhookId = `msg_${run}${i}`
    const ts = String(Math.floor(now / 1000))
    const mac = createHmac('sha256', key).update(`${webhookId}.${ts}.${body}`).digest('base64')
    headers = { 'webhook-id': webhookId, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` }
  }
  return {
    url: n.webhookUrl,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    activityId: `quo-msg-${id}`,
  }
}

/** Message `i` of the run: the providers take turns. */
export function signedRequest(
  numbers: WebhookNumber[],
  i: number,
  run: string,
  telnyxKey: KeyObject,
): SignedRequest {
  const n = numbers[i % numbers.length]!
  if (n.provider === 'twilio') return twilio(n, i, run)
  if (n.provider === 'telnyx') return telnyx(n, i, run, telnyxKey)
  return quo(n, i, run)
}
