/**
 * @module Replies through Quo, formerly OpenPhone
 * (https://www.quo.com/docs/api-reference/messages/send-a-text-message): `POST /v1/messages` with
 * `Authorization: <API key>` and JSON `content`, `from`, `to` (an array), answered 202 with
 * `data.id`; a refusal carries `message` (or `error.message`) and `code`. Quo takes no idempotency
 * key: a send whose answer was lost is looked up with `GET /v1/messages`, which needs the number's
 * Quo id (`PN…`, from `GET /v1/phone-numbers`) and the participant [O4].
 */
import type { ProviderAccount } from './provider-account.ts'
import { exchange, field, type LookupResult, type SendClient } from './provider-send.ts'

type QuoAccount = Extract<ProviderAccount, { provider: 'quo' }>

/** Quo's refusal in its words. */
export function quoReason(body: unknown, status: number): string {
  const message = field(body, 'message') ?? field(body, 'error', 'message') ?? field(body, 'title')
  const code = field(body, 'code')
  if (message) return code ? `${message} (Quo error ${code})` : message
  return `Quo answered ${status}`
}

const listOf = (body: unknown): unknown[] => {
  const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : null
  return Array.isArray(data) ? data : []
}

export const quoSend: SendClient = {
  send(r) {
    const account = r.account as QuoAccount
    return exchange(
      () =>
        fetch(`${r.apiBase}/v1/messages`, {
          method: 'POST',
          headers: {
            authorization: account.credentials.apiKey,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ content: r.body, from: account.number, to: [r.to] }),
          signal: r.signal,
        }),
      { id: (b) => field(b, 'data', 'id') ?? null, reason: quoReason },
    )
  },

  async lookup(r): Promise<LookupResult> {
    const account = r.account as QuoAccount
    const headers = { authorization: account.credentials.apiKey }
    const numbers = await fetch(`${r.apiBase}/v1/phone-numbers`, { headers, signal: r.signal })
    if (!numbers.ok) return { found: false, reason: `the look-up was answered ${numbers.status}` }
    const pn = listOf(await numbers.json()).find((n) => field(n, 'number') === account.number)
    const phoneNumberId = field(pn, 'id')
    if (!phoneNumberId) return { found: false, reason: 'the number is not in this Quo workspace' }
    const query = new URLSearchParams({
      phoneNumberId,
      participants: r.to,
      createdAfter: new Date(r.since - 60_000).toISOString(),
      maxResults: '50',
    })
    const res = await fetch(`${r.apiBase}/v1/messages?${query}`, { headers, signal: r.signal })
    if (!res.ok) return { found: false, reason: `the look-up was answered ${res.status}` }
    const ids = listOf(await res.json())
      .filter((m) => field(m, 'text') === r.body && field(m, 'direction') === 'outgoing')
      .map((m) => field(m, 'id'))
      .filter((id): id is string => !!id)
    return ids.length
      ? { found: true, providerMessageIds: ids }
      : { found: false, reason: 'not found' }
  },
}
