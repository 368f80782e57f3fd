/**
 * @module Sending a reply through a provider (issue 22): what a send client is asked, what it
 * answers, and how an HTTP exchange is classified [O2]–[O4]. The clients are twilio-send.ts,
 * telnyx-send.ts and quo-send.ts; the outbox sender (outbox-sender.ts) drives them.
 */
import type { WorkspacePhoneNumber } from '@switchboard/core'
import type { PhoneNumberRecord } from '../storage/directory.ts'
import type { ProviderAccount, ProviderName } from './provider-account.ts'

/** The longest body each provider takes, in characters, and how the refusal names it. */
export const MAX_BODY_LENGTH: Readonly<Record<ProviderName, number>> = {
  // https://www.twilio.com/docs/messaging/api/message-resource (Body: up to 1,600 characters)
  twilio: 1600,
  // https://developers.telnyx.com/docs/messaging/messages/sms-chunking (10 parts of GSM-7)
  telnyx: 1530,
  // https://www.quo.com/docs/api-reference/messages/send-a-text-message (content: 1,600)
  quo: 1600,
}
export const PROVIDER_TITLE: Readonly<Record<ProviderName, string>> = {
  twilio: 'Twilio',
  telnyx: 'Telnyx',
  quo: 'Quo',
}

/**
 * A number as the workspace document shows it [K6]: with its provider and that provider's reply
 * limit, and no `providerStatus` (a new connection or new credentials start without one [O5]).
 */
export function shownNumber(pn: PhoneNumberRecord): WorkspacePhoneNumber {
  const shown: WorkspacePhoneNumber = { id: pn.id, name: pn.name, number: pn.number }
  if (pn.provider) {
    shown.provider = pn.provider
    shown.maxBodyLength = MAX_BODY_LENGTH[pn.provider]
  }
  return shown
}

export interface SendRequest {
  account: ProviderAccount
  /** The provider's API base (`TWILIO_API_BASE`…), without a trailing slash. */
  apiBase: string
  to: string
  body: string
  /** Where Twilio posts the message's status (`PUBLIC_URL` + the number's status path). */
  statusCallback?: string
  /** Stable per outbox attempt: Telnyx's `Idempotency-Key`. */
  idempotencyKey: string
  signal: AbortSignal
}

/** What a send came to. */
export type SendResult =
  /** The provider took it [O3]. */
  | { kind: 'accepted'; providerMessageId: string }
  /** Nothing reached the provider, or it answered 5xx/429 before taking it: send again [O2]. */
  | { kind: 'retry'; reason: string }
  /** A 4xx: the provider refused it, in its words [O3]; 401/403 mean its credentials [O5]. */
  | { kind: 'refused'; status: number; reason: string }
  /** The request may have reached the provider, its answer did not reach us [O4]. */
  | { kind: 'unknown'; reason: string }

/**
 * What a look-up at the provider found for a send whose outcome is unknown [O4]: the ids of the
 * messages that match it, oldest first (the sender takes one no other reply claimed).
 */
export type LookupResult =
  { found: true; providerMessageIds: string[] } | { found: false; reason: string }

export interface LookupRequest {
  account: ProviderAccount
  apiBase: string
  to: string
  body: string
  /** When the send was started (ms): the provider is searched from a little before. */
  since: number
  signal: AbortSignal
}

export interface SendClient {
  send(request: SendRequest): Promise<SendResult>
  lookup(request: LookupRequest): Promise<LookupResult>
}

/** Errors of a connection that never carried the request: safe to send again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])

/** The error code fetch (undici) hides in `cause`, if any. */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * Runs `request` and classifies the exchange: a refused connection is a retry, any other
 * failure after the connection opened (a time-out, a reset) is unknown, 5xx and 429 a retry, other
 * 4xx a refusal with `reason(body)`, 2xx accepted with `id(body)`.
 */
export async function exchange(
  request: () => Promise<Response>,
  read: { id(body: unknown): string | null; reason(body: unknown, status: number): string },
): Promise<SendResult> {
  let res: Response
  try {
    res = await request()
  } catch (err) {
    const code = errorCode(err)
    if (code && NOT_SENT_CODES.has(code)) return { kind: 'retry', reason: `connection: ${code}` }
    const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined
    const timeout = name === 'TimeoutError' || name === 'AbortError'
    return { kind: 'unknown', reason: timeout ? 'no answer in time' : `connection: ${code ?? err}` }
  }
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  if (res.status >= 500 || res.status === 429)
    return { kind: 'retry', reason: `provider answered ${res.status}` }
  if (res.status >= 400)
    return { kind: 'refused', status: res.status, reason: read.reason(body, res.status) }
  const id = read.id(body)
  if (res.status >= 200 && res.status < 300 && id)
    return { kind: 'accepted', providerMessageId: id }
  // A 2xx without the message's id, or a 1xx/3xx: the provider may hold it, we cannot tell.
  return { kind: 'unknown', reason: `provider answered ${res.status} without a message id` }
}

/** A string field of a JSON object, if it is one. */
export function field(body: unknown, ...path: string[]): string | undefined {
  let v: unknown = body
  for (const key of path) {
    if (!v || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
}

/** How long a send or a look-up may take before its outcome is unknown, by default (ms). */
export const SEND_TIMEOUT_MS = 15_000
