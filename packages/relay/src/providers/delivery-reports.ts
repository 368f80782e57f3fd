/**
 * @module The providers' reports of a reply's delivery, read from their verified webhooks
 * (issue 22) [O8]:
 * - Twilio's status callback (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status):
 *   `MessageSid`, `MessageStatus` (queued, sent, delivered, undelivered, failed, …), `ErrorCode`;
 * - Telnyx's `message.sent` and `message.finalized`
 *   (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks), the outcome in
 *   `payload.to[0].status` and the reason in `payload.errors`;
 * - Quo's `message.delivered` (https://www.quo.com/docs/mdx/guides/webhooks).
 * A report names the provider's message id; deliveries.ts finds the reply by it.
 */
import type { DeliveryState } from '@switchboard/core'

export interface DeliveryReport {
  providerMessageId: string
  state: DeliveryState
  reason?: string
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown) =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null

/** Twilio's message statuses as delivery states; the inbound ones are not reports. */
const TWILIO_STATES: Record<string, DeliveryState> = {
  accepted: 'sent',
  scheduled: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
}

/** A Twilio status callback, or null when the form is not one (no sid or an inbound status). */
export function twilioReport(params: URLSearchParams): DeliveryReport | null {
  const sid = str(params.get('MessageSid')) ?? str(params.get('SmsSid'))
  const status = str(params.get('MessageStatus')) ?? str(params.get('SmsStatus'))
  const state = status ? TWILIO_STATES[status] : undefined
  if (!sid || !status || !state) return null
  const report: DeliveryReport = { providerMessageId: sid, state }
  if (state === 'failed') {
    const code = str(params.get('ErrorCode'))
    const message = str(params.get('ErrorMessage'))
    report.reason =
      [status, message, code && `Twilio error ${code}`].filter(Boolean).join(' — ') || status
  }
  return report
}

/** A Telnyx `message.sent` or `message.finalized`, or null for any other event. */
export function telnyxReport(body: unknown): DeliveryReport | null {
  if (!isObject(body) || !isObject(body.data)) return null
  const type = str(body.data.event_type)
  if (type !== 'message.sent' && type !== 'message.finalized') return null
  const p = body.data.payload
  if (!isObject(p)) return null
  const id = str(p.id)
  if (!id) return null
  if (type === 'message.sent') return { providerMessageId: id, state: 'sent' }
  const to = Array.isArray(p.to) ? (p.to[0] as unknown) : null
  const status = isObject(to) ? str(to.status) : null
  if (status === 'delivered') return { providerMessageId: id, state: 'delivered' }
  if (status === 'sending_failed' || status === 'delivery_failed') {
    const errors = Array.isArray(p.errors) ? (p.errors as unknown[]) : []
    const first = isObject(errors[0]) ? errors[0] : {}
    const text = str(first.detail) ?? str(first.title) ?? status
    const code = str(first.code)
    return {
      providerMessageId: id,
      state: 'failed',
      reason: code ? `${text} (Telnyx error ${code})` : text,
    }
  }
  // delivery_unconfirmed and the like: the carrier said nothing more than "sent".
  return { providerMessageId: id, state: 'sent' }
}

/** A Quo `message.delivered` (app or API webhook), or null for any other event. */
export function quoReport(body: unknown): DeliveryReport | null {
  if (!isObject(body) || str(body.type) !== 'message.delivered' || !isObject(body.data)) return null
  const o = body.data.object ?? body.data.resource
  const id = isObject(o) ? str(o.id) : null
  return id ? { providerMessageId: id, state: 'delivered' } : null
}
