/**
 * @module What the providers' signature checks share: the verdict they return, the freshness
 * window of signed timestamps, and a constant-time comparison of base64 signatures.
 */
import { timingSafeEqual } from 'node:crypto'

/** A signature check's verdict; `reason` is safe to answer (it names no secret or expected value). */
export type SignatureCheck = { ok: true } | { ok: false; reason: string }

/** How far a signed timestamp may be from the relay's clock, either way [W4]. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000

/** null when `signedAtMs` is within the tolerance of `now`, else the reason it is refused. */
export function staleness(signedAtMs: number, now: number): string | null {
  if (!Number.isFinite(signedAtMs)) return 'signature timestamp is not a number'
  if (signedAtMs < now - SIGNATURE_TOLERANCE_MS)
    return 'signature timestamp is more than 5 minutes old'
  if (signedAtMs > now + SIGNATURE_TOLERANCE_MS)
    return 'signature timestamp is more than 5 minutes in the future'
  return null
}

/** Strict base64 (standard alphabet, padded or not) to bytes; null when it is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.replace(/=+$/, '').length % 4 === 1)
    return null
  return new Uint8Array(Buffer.from(trimmed, 'base64'))
}

/** Equal bytes, compared in constant time (different lengths are simply unequal). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
