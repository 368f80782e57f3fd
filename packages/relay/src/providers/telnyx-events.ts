/**
 * @module Telnyx's API v2 JSON webhooks as activities: `message.received`
 * (https://developers.telnyx.com/api-reference/callbacks/inbound-message) and `call.hangup`
 * (https://developers.telnyx.com/api-reference/callbacks/call-hangup). Outgoing message statuses
 * (`message.sent`, `message.finalized`) and the other call events are acknowledged and ignored.
 */
import type { ProviderAccount } from './provider-account.ts'
import {
  activityOf,
  providerActivityId,
  timeOf,
  withMedia,
  type ParsedEvent,
} from './provider-activity.ts'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null)
const bad = (field: string, error: string): ParsedEvent => ({ ok: false, error, field })

/** Hangup causes of a call nobody answered. */
const UNANSWERED = new Set([
  'originator_cancel',
  'timeout',
  'no_answer',
  'call_rejected',
  'user_busy',
  'not_found',
])

export function parseTelnyx(account: ProviderAccount, body: unknown, now: number): ParsedEvent {
  if (!isObject(body) || !isObject(body.data)) return bad('data', 'data must be an object')
  const data = body.data
  const type = str(data.event_type)
  if (!type) return bad('data.event_type', 'data.event_type is required')
  if (type !== 'message.received' && type !== 'call.hangup')
    return { ok: true, activity: null, ignored: `event '${type}'` }
  if (!isObject(data.payload)) return bad('data.payload', 'data.payload must be an object')
  const p = data.payload
  const at = timeOf(data.occurred_at, now)
  if (type === 'message.received') {
    const id = str(p.id)
    if (!id) return bad('data.payload.id', 'data.payload.id is required')
    const from = isObject(p.from) ? str(p.from.phone_number) : null
    if (!from) return bad('data.payload.from.phone_number', 'the sender is required')
    const media = Array.isArray(p.media)
      ? p.media.flatMap((m) => (isObject(m) && str(m.url) ? [str(m.url)!] : []))
      : []
    return activityOf(account, {
      id: providerActivityId('telnyx', 'msg', id),
      kind: 'message',
      contact: from,
      direction: 'incoming',
      at: timeOf(p.received_at, at),
      body: withMedia(typeof p.text === 'string' ? p.text : '', media),
      ours: Array.isArray(p.to) && isObject(p.to[0]) ? str(p.to[0].phone_number) : null,
    })
  }
  const callId = str(p.call_session_id) ?? str(p.call_leg_id) ?? str(p.call_control_id)
  if (!callId) return bad('data.payload.call_session_id', 'a call id is required')
  const from = str(p.from)
  const to = str(p.to)
  if (!from || !to) return bad('data.payload.from', 'from and to are required')
  const outgoing =
    p.direction === 'outgoing' || (p.direction === undefined && from === account.number)
  const started = timeOf(p.start_time, at)
  const answered = !UNANSWERED.has(String(p.hangup_cause)) && at > started
  return activityOf(account, {
    id: providerActivityId('telnyx', 'call', callId),
    kind: 'call',
    contact: outgoing ? to : from,
    direction: outgoing ? 'outgoing' : 'incoming',
    at,
    durationSeconds: answered ? Math.round((at - started) / 1000) : 0,
    missed: !answered,
    ours: outgoing ? from : to,
  })
}
