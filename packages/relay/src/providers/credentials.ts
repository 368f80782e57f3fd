/**
 * @module What an admin sends to connect a number [K4]: the provider's name, its credentials
 * (checked field by field, each refusal naming its field and never echoing a value), and a number
 * in E.164, the form providers send in their webhooks.
 */
import { decodeBase64 } from './base64.ts'
import {
  providerNames,
  type ProviderName,
  type QuoCredentials,
  type TelnyxCredentials,
  type TwilioCredentials,
} from './provider-account.ts'

/** A provider and its credentials, checked. */
export type ProviderCredentials =
  | { provider: 'twilio'; credentials: TwilioCredentials }
  | { provider: 'telnyx'; credentials: TelnyxCredentials }
  | { provider: 'quo'; credentials: QuoCredentials }

/** A check's verdict: the value, or the field that is wrong and why (safe to send back). */
export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; message: string }

/** `+`, then 8 to 15 digits, the first not 0. */
export const E164_RE = /^\+[1-9][0-9]{7,14}$/

/** No credential field is longer (real ones are well under it); bounds what is sealed. */
export const MAX_CREDENTIAL_CHARS = 512

const fail = (field: string, message: string): Checked<never> => ({
  ok: false,
  field,
  message: `${field} ${message}`,
})

/** Each provider's fields, each with its own check (null: fine; else what it must be). */
const FIELDS: Record<ProviderName, Record<string, (value: string) => string | null>> = {
  twilio: {
    accountSid: (v) =>
      /^AC[0-9a-fA-F]{32}$/.test(v)
        ? null
        : 'must be the Account SID: AC followed by 32 hexadecimal digits',
    authToken: () => null,
  },
  telnyx: {
    apiKey: () => null,
    publicKey: (v) =>
      decodeBase64(v)?.byteLength === 32
        ? null
        : "must be the account's Ed25519 public key in base64 (32 bytes)",
  },
  quo: {
    apiKey: () => null,
    webhookSecret: (v) => {
      const key = decodeBase64(v.startsWith('whsec_') ? v.slice('whsec_'.length) : v)
      return key && key.byteLength > 0
        ? null
        : "must be the webhook's signing key: base64, or whsec_ followed by base64"
    },
  },
}

/** The `provider` of a request, checked. */
export function checkProvider(value: unknown): Checked<ProviderName> {
  return typeof value === 'string' && (providerNames as readonly string[]).includes(value)
    ? { ok: true, value: value as ProviderName }
    : fail('provider', `must be one of ${providerNames.join(', ')}`)
}

/** `value` as `provider`'s credentials: exactly its fields, each a string that passes its check. */
export function checkCredentials(
  provider: ProviderName,
  value: unknown,
): Checked<ProviderCredentials> {
  const fields = FIELDS[provider]
  const expected = Object.keys(fields)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('credentials', `must be an object with ${expected.join(' and ')}`)
  const given = value as Record<string, unknown>
  const out: Record<string, string> = {}
  for (const [name, check] of Object.entries(fields)) {
    const field = `credentials.${name}`
    const v = given[name]
    if (typeof v !== 'string' || v.trim() === '') return fail(field, 'must be a non-empty string')
    if (v.length > MAX_CREDENTIAL_CHARS)
      return fail(field, `must be at most ${MAX_CREDENTIAL_CHARS} characters`)
    if (/[\s\p{Cc}]/u.test(v)) return fail(field, 'must have no spaces or control characters')
    const problem = check(v)
    if (problem) return fail(field, problem)
    out[name] = v
  }
  for (const name of Object.keys(given))
    if (!Object.hasOwn(fields, name))
      return fail(
        `credentials.${name}`,
        `is not a ${provider} credential (expected ${expected.join(' and ')})`,
      )
  return { ok: true, value: { provider, credentials: out } as unknown as ProviderCredentials }
}

/** A connected number must be in E.164 (`+` and 8–15 digits), as the providers write it. */
export function checkConnectedNumber(number: unknown): Checked<string> {
  return typeof number === 'string' && E164_RE.test(number)
    ? { ok: true, value: number }
    : fail(
        'number',
        'must be in E.164 form for a provider: + and 8 to 15 digits, e.g. +14155550142',
      )
}

/**
 * A request to connect `number` (or replace its credentials): `provider` (else `current`, the
 * number's provider), its credentials, and the number in E.164. The first wrong field is named.
 */
export function checkConnection(
  input: { provider?: unknown; credentials?: unknown },
  number: unknown,
  current?: ProviderName,
): Checked<ProviderCredentials> {
  const given = input.provider !== undefined && input.provider !== null
  if (!given && current === undefined)
    return fail('provider', `must be one of ${providerNames.join(', ')} to connect a number`)
  const provider = checkProvider(given ? input.provider : current)
  if (!provider.ok) return provider
  const e164 = checkConnectedNumber(number)
  if (!e164.ok) return e164
  return checkCredentials(provider.value, input.credentials)
}
