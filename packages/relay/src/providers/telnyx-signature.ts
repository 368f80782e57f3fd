/**
 * @module Telnyx's webhook signature (API v2): `telnyx-signature-ed25519` is the base64 Ed25519
 * signature of `${telnyx-timestamp}|${raw body}` under the account's public key (base64, the raw
 * 32 bytes), and `telnyx-timestamp` is Unix seconds, refused when more than 5 minutes off [W4]
 * (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { fromBase64, staleness, type SignatureCheck } from './signature-check.ts'

/** Keys imported so far: importing one costs more than verifying a signature with it. */
const imported = new Map<string, KeyObject>()
const IMPORTED_MAX = 1000

/** The account's public key as Node's KeyObject, or null when it is not 32 bytes of base64. */
export function telnyxPublicKey(publicKey: string): KeyObject | null {
  const held = imported.get(publicKey)
  if (held) return held
  const raw = fromBase64(publicKey)
  if (!raw || raw.length !== 32) return null
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  })
  if (imported.size >= IMPORTED_MAX) imported.clear()
  imported.set(publicKey, key)
  return key
}

/** [W3][W4] Checks a Telnyx webhook's headers against its raw body. */
export function verifyTelnyx(
  publicKey: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  now: number,
): SignatureCheck {
  const signature = headers.signature ? fromBase64(headers.signature) : null
  if (!signature || signature.length !== 64)
    return { ok: false, reason: 'missing or malformed telnyx-signature-ed25519' }
  if (!headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp))
    return { ok: false, reason: 'missing or malformed telnyx-timestamp' }
  const stale = staleness(Number(headers.timestamp) * 1000, now)
  if (stale) return { ok: false, reason: stale }
  const key = telnyxPublicKey(publicKey)
  if (!key) return { ok: false, reason: 'bad telnyx-signature-ed25519' }
  const signed = Buffer.concat([Buffer.from(`${headers.timestamp}|`), rawBody])
  return verify(null, signed, key, signature)
    ? { ok: true }
    : { ok: false, reason: 'bad telnyx-signature-ed25519' }
}
