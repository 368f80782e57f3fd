/**
 * @module Twilio's `X-Twilio-Signature`: base64 of the HMAC-SHA1, keyed by the account's auth
 * token, of the full URL Twilio called followed by each POST parameter's name and value, sorted
 * by name (https://www.twilio.com/docs/usage/security#validating-requests). A JSON body is signed
 * through the URL instead: its SHA-256 (hex) rides in the `bodySHA256` query parameter.
 */
import { createHash, createHmac } from 'node:crypto'
import { fromBase64, sameBytes, type SignatureCheck } from './signature-check.ts'

/** The string Twilio signs for a form POST: the URL, then every name+value sorted by name. */
export function twilioSignedText(url: string, params: URLSearchParams): string {
  // A name sent twice (Twilio's arrays) keeps its values in the order they came.
  const names = [...new Set(params.keys())].sort()
  let text = url
  for (const name of names) for (const value of params.getAll(name)) text += name + value
  return text
}

/** base64(HMAC-SHA1(authToken, text)). */
export function twilioSignature(authToken: string, text: string): string {
  return createHmac('sha1', authToken).update(text, 'utf8').digest('base64')
}

/**
 * [W3] Checks a Twilio webhook. `url` is the public URL Twilio called (with its query string);
 * `params` the form body (empty for a JSON body, which `rawBody` then carries).
 */
export function verifyTwilio(
  authToken: string,
  url: string,
  params: URLSearchParams,
  signature: string | undefined,
  jsonBody?: Uint8Array,
): SignatureCheck {
  const given = signature ? fromBase64(signature) : null
  if (!given) return { ok: false, reason: 'missing or malformed X-Twilio-Signature' }
  const expected = fromBase64(
    twilioSignature(authToken, jsonBody ? url : twilioSignedText(url, params)),
  )!
  if (!sameBytes(given, expected)) return { ok: false, reason: 'bad X-Twilio-Signature' }
  if (jsonBody) {
    const declared = new URL(url).searchParams.get('bodySHA256') ?? ''
    const actual = createHash('sha256').update(jsonBody).digest('hex')
    if (!sameBytes(Buffer.from(declared.toLowerCase()), Buffer.from(actual)))
      return { ok: false, reason: 'body does not match bodySHA256' }
  }
  return { ok: true }
}
