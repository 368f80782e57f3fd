/**
 * @module The key that seals providers' credentials at rest [K2]: `CREDENTIALS_KEY` (32 random
 * bytes in base64), or one derived from `SWITCHBOARD_SECRET` by HKDF under a label of its own, so
 * the token-signing key itself never encrypts anything and neither key reveals the other.
 */
import { hkdfSync } from 'node:crypto'
import { decodeBase64 } from './base64.ts'

/** AES-256 takes 32 bytes. */
export const CREDENTIALS_KEY_BYTES = 32

/** The HKDF label of the derived key; another purpose must use another label. */
export const CREDENTIALS_KEY_PURPOSE = 'switchboard credentials key v1'

/** A `CREDENTIALS_KEY` value as bytes, or null unless it is base64 of exactly 32 bytes. */
export function parseCredentialsKey(text: string): Uint8Array | null {
  const bytes = decodeBase64(text.trim())
  return bytes && bytes.byteLength === CREDENTIALS_KEY_BYTES ? bytes : null
}

/** The credentials key derived from the relay's secret (used when `CREDENTIALS_KEY` is unset). */
export function deriveCredentialsKey(secret: string): Uint8Array {
  return new Uint8Array(
    hkdfSync('sha256', secret, new Uint8Array(0), CREDENTIALS_KEY_PURPOSE, CREDENTIALS_KEY_BYTES),
  )
}
