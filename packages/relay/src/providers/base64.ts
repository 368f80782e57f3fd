/** @module Strict base64 for keys pasted by people: standard or URL alphabet, padding optional. */

const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/

/**
 * The bytes of `text` when it is base64 that decodes exactly (Node's decoder skips stray
 * characters, so a key with a typo would otherwise decode to other bytes), else null.
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (!BASE64_RE.test(text)) return null
  const body = text.replace(/=+$/, '')
  if (body.length % 4 === 1) return null
  const bytes = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  const again = bytes.toString('base64').replace(/=+$/, '')
  return again === body.replace(/-/g, '+').replace(/_/g, '/') ? new Uint8Array(bytes) : null
}
