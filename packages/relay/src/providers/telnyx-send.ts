/**
 * @module Replies through Telnyx (https://developers.telnyx.com/api-reference/messages/send-a-message):
 * `POST /v2/messages` with a Bearer API key and JSON `from`, `to`, `text` (and `webhook_url`, so
 * its delivery reports reach this number's webhook), answered with `data.id`; a refusal carries
 * `errors[].code/title/detail`. An `Idempotency-Key` goes with each attempt, but the messages
 * endpoint does not say it honours one and Telnyx has no look-up by number, so a send whose
 * answer was lost becomes Unknown rather than being sent again [O4].
 */
import type { ProviderAccount } from './provider-account.ts'
import { exchange, field, type SendClient } from './provider-send.ts'

type TelnyxAccount = Extract<ProviderAccount, { provider: 'telnyx' }>

/** Telnyx's refusal in its words: the first error's detail (or title) and code. */
export function telnyxReason(body: unknown, status: number): string {
  const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : null
  const first = Array.isArray(errors) ? (errors[0] as unknown) : null
  const text = field(first, 'detail') ?? field(first, 'title')
  const code = field(first, 'code')
  if (text) return code ? `${text} (Telnyx error ${code})` : text
  return `Telnyx answered ${status}`
}

export const telnyxSend: SendClient = {
  send(r) {
    const account = r.account as TelnyxAccount
    const payload: Record<string, string> = { from: account.number, to: r.to, text: r.body }
    if (r.statusCallback) payload.webhook_url = r.statusCallback
    return exchange(
      () =>
        fetch(`${r.apiBase}/v2/messages`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${account.credentials.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': r.idempotencyKey,
          },
          body: JSON.stringify(payload),
          signal: r.signal,
        }),
      { id: (b) => field(b, 'data', 'id') ?? null, reason: telnyxReason },
    )
  },
  async lookup() {
    return { found: false, reason: 'Telnyx offers no look-up by number' }
  },
}
