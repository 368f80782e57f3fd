/**
 * @module Telnyx's webhook signature (API v2): `telnyx-signature-ed25519` is the base64 Ed25519
 * signature of `${telnyx-timestamp}|${raw body}` under the account's public key (base64, the raw
 * 32 bytes), and `telnyx-timestamp` is Unix seconds, refused when more than 5 minutes off [W4]
 * (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks).
 */
import { fromBase64, staleness, type SignatureCheck } from './signature-check.ts'

type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

/** Keys imported so far: importing one costs more than verifying a signature with it. */
const imported = new Map<string, Promise<CryptoKey | null>>()
const IMPORTED_MAX = 1000

/**
 * The account's public key for Web Crypto, or null when it is not 32 bytes of base64. Web
 * Crypto verifies on libuv's thread pool: at a few hundred Telnyx posts a second, `verify` of
 * node:crypto on the event loop was a tenth of it (bench/README.md, workload 9).
 */
export function telnyxPublicKey(publicKey: string): Promise<CryptoKey | null> | null {
  const held = imported.get(publicKey)
  if (held) return held
  const raw = fromBase64(publicKey)
  if (!raw || raw.length !== 32) return null
  const key = crypto.subtle
    .importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
    .catch(() => null)
  if (imported.size >= IMPORTED_MAX) imported.clear()
  imported.set(publicKey, key)
  return key
}

const BAD = { ok: false, reason: 'bad telnyx-signature-ed25519' } as const

/** [W3][W4] Checks a Telnyx webhook's headers against its raw body. */
export async function verifyTelnyx(
  publicKey: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  now: number,
): Promise<SignatureCheck> {
  const signature = headers.signature ? fromBase64(headers.signature) : null
  if (!signature || signature.length !== 64)
    return { ok: false, reason: 'missing or malformed telnyx-signature-ed25519' }
  if (!headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp))
    return { ok: false, reason: 'missing or malformed telnyx-timestamp' }
  const stale = staleness(Number(headers.timestamp) * 1000, now)
  if (stale) return { ok: false, reason: stale }
  const key = await telnyxPublicKey(publicKey)
  if (!key) return BAD
  const signed = Buffer.concat([Buffer.from(`${headers.timestamp}|`), rawBody])
  const valid = await crypto.subtle
    .verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, signed)
    .catch(() => false)
  return valid ? { ok: true } : BAD
}
