/**
 * @module Replies through Twilio's Programmable Messaging
 * (https://www.twilio.com/docs/messaging/api/message-resource): `POST …/Messages.json` with a
 * form of `From`, `To`, `Body` and `StatusCallback`, Basic auth by account SID and auth token,
 * answered 201 with the message's `sid`; a refusal's body carries `code` and `message`. Twilio
 * takes no idempotency key, so a send whose answer was lost is looked up in the account's
 * message list filtered by `From`, `To` and `DateSent>=` [O4].
 */
import type { ProviderAccount } from './provider-account.ts'
import { exchange, field, type LookupResult, type SendClient } from './provider-send.ts'

type TwilioAccount = Extract<ProviderAccount, { provider: 'twilio' }>

const auth = (a: TwilioAccount) =>
  `Basic ${Buffer.from(`${a.credentials.accountSid}:${a.credentials.authToken}`).toString('base64')}`

const messagesUrl = (apiBase: string, a: TwilioAccount) =>
  `${apiBase}/2010-04-01/Accounts/${encodeURIComponent(a.credentials.accountSid)}/Messages.json`

/** Twilio's refusal in its words: `message (Twilio error code)`. */
export function twilioReason(body: unknown, status: number): string {
  const message = field(body, 'message')
  const code = field(body, 'code')
  if (message) return code ? `${message} (Twilio error ${code})` : message
  return `Twilio answered ${status}`
}

export const twilioSend: SendClient = {
  send(r) {
    const account = r.account as TwilioAccount
    const form = new URLSearchParams({ From: account.number, To: r.to, Body: r.body })
    if (r.statusCallback) form.set('StatusCallback', r.statusCallback)
    return exchange(
      () =>
        fetch(messagesUrl(r.apiBase, account), {
          method: 'POST',
          headers: {
            authorization: auth(account),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form.toString(),
          signal: r.signal,
        }),
      { id: (b) => field(b, 'sid') ?? null, reason: twilioReason },
    )
  },

  async lookup(r): Promise<LookupResult> {
    const account = r.account as TwilioAccount
    // DateSent>= takes a day (UTC); the day before covers a send started just after midnight.
    const day = new Date(r.since - 86_400_000).toISOString().slice(0, 10)
    const query = new URLSearchParams({ From: account.number, To: r.to, 'DateSent>': day })
    // Twilio's inequality filter is the parameter `DateSent>`: the query reads `DateSent>=<day>`.
    const url = `${messagesUrl(r.apiBase, account)}?${query}`
    const res = await fetch(url, { headers: { authorization: auth(account) }, signal: r.signal })
    if (!res.ok) return { found: false, reason: `the look-up was answered ${res.status}` }
    const body = (await res.json()) as { messages?: unknown }
    const list = Array.isArray(body.messages) ? (body.messages as unknown[]) : []
    const ids = list
      .filter((m) => field(m, 'body') === r.body && field(m, 'direction')?.startsWith('outbound'))
      .map((m) => field(m, 'sid'))
      .filter((sid): sid is string => !!sid)
    return ids.length
      ? { found: true, providerMessageIds: ids }
      : { found: false, reason: 'not found' }
  },
}
