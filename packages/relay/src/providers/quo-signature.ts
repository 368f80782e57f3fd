/**
 * @module Quo (formerly OpenPhone) signs webhooks two ways, told apart by their headers:
 * - webhooks made in the app: `openphone-signature: hmac;1;<timestamp ms>;<base64>`, the
 *   HMAC-SHA256 of `<timestamp>.<raw body>` keyed by the base64-decoded signing key
 *   (https://support.openphone.com/hc/en-us/articles/4690754298903-How-to-use-webhooks);
 * - webhooks made through the API: Standard Webhooks (`webhook-id`, `webhook-timestamp` in
 *   seconds, `webhook-signature: v1,<base64>` over `<id>.<timestamp>.<body>` with the `whsec_`
 *   key), checked by the `standardwebhooks` package
 *   (https://www.quo.com/docs/mdx/beta/webhooks-signature-validation).
 * Both refuse a timestamp more than 5 minutes off [W4].
 */
import { createHmac } from 'node:crypto'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { fromBase64, sameBytes, staleness, type SignatureCheck } from './signature-check.ts'

/** Which of Quo's two schemes a request uses, by its headers. */
export type QuoScheme = 'app' | 'standard'

export interface QuoHeaders {
  openphoneSignature: string | undefined
  webhookId: string | undefined
  webhookTimestamp: string | undefined
  webhookSignature: string | undefined
}

/** The scheme the headers name: Standard Webhooks when `webhook-signature` is present. */
export const quoScheme = (h: QuoHeaders): QuoScheme | null =>
  h.webhookSignature !== undefined ? 'standard' : h.openphoneSignature !== undefined ? 'app' : null

/** `hmac;1;<ts>;<base64>` signed with a base64 key, as Quo's app webhooks are. */
export function quoAppSignature(key: string, timestamp: string, rawBody: Uint8Array): string {
  const mac = createHmac('sha256', Buffer.from(key, 'base64'))
    .update(`${timestamp}.`)
    .update(rawBody)
    .digest('base64')
  return `hmac;1;${timestamp};${mac}`
}

const APP_RE = /^hmac;1;(\d{1,16});([A-Za-z0-9+/]+={0,2})$/

/** [W3][W4] Checks a Quo webhook signed either way; the secret is the account's `webhookSecret`. */
export function verifyQuo(
  secret: string,
  headers: QuoHeaders,
  rawBody: Uint8Array,
  now: number,
): SignatureCheck & { scheme?: QuoScheme } {
  const scheme = quoScheme(headers)
  if (!scheme) return { ok: false, reason: 'missing openphone-signature or webhook-signature' }
  return scheme === 'app'
    ? { ...verifyApp(secret, headers.openphoneSignature!, rawBody, now), scheme }
    : { ...verifyStandard(secret, headers, rawBody, now), scheme }
}

function verifyApp(secret: string, header: string, rawBody: Uint8Array, now: number) {
  const match = APP_RE.exec(header.trim())
  if (!match) return { ok: false, reason: 'malformed openphone-signature' } as const
  const [, timestamp, mac] = match as unknown as [string, string, string]
  // The docs' header carries milliseconds; a seconds value is read as such rather than as 1970.
  const ms = timestamp.length <= 10 ? Number(timestamp) * 1000 : Number(timestamp)
  const stale = staleness(ms, now)
  if (stale) return { ok: false, reason: stale } as const
  const key = secret.startsWith('whsec_') ? null : fromBase64(secret)
  const given = fromBase64(mac)
  if (!key || !key.length || !given)
    return { ok: false, reason: 'bad openphone-signature' } as const
  const expected = createHmac('sha256', key).update(`${timestamp}.`).update(rawBody).digest()
  return sameBytes(given, expected)
    ? ({ ok: true } as const)
    : ({ ok: false, reason: 'bad openphone-signature' } as const)
}

function verifyStandard(secret: string, h: QuoHeaders, rawBody: Uint8Array, now: number) {
  if (!h.webhookId || !h.webhookTimestamp || !/^\d{1,12}$/.test(h.webhookTimestamp))
    return { ok: false, reason: 'missing or malformed webhook-id or webhook-timestamp' } as const
  const stale = staleness(Number(h.webhookTimestamp) * 1000, now)
  if (stale) return { ok: false, reason: stale } as const
  let webhook: Webhook
  try {
    webhook = new Webhook(secret)
  } catch {
    return { ok: false, reason: 'bad webhook-signature' } as const
  }
  try {
    webhook.verify(
      rawBody,
      {
        'webhook-id': h.webhookId,
        'webhook-timestamp': h.webhookTimestamp,
        'webhook-signature': h.webhookSignature!,
      },
      { jsonParse: false },
    )
    return { ok: true } as const
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err
    return { ok: false, reason: 'bad webhook-signature' } as const
  }
}
