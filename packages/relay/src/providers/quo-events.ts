/**
 * @module Quo's (formerly OpenPhone) JSON webhooks as activities. App webhooks carry the object
 * under `data.object`; API (Standard Webhooks) ones under `data.resource`, with `data.context`
 * (https://www.quo.com/docs/mdx/beta/webhooks-overview). `message.received` becomes a message,
 * `call.completed` a call, or a voicemail when it carries one; other events are acknowledged and
 * ignored. Outgoing statuses (`message.delivered`) are delivery reports (delivery-reports.ts), and
 * summaries and transcripts are a call's details (quo-call-details.ts), both taken before this.
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

/** A number field that may be a string, an array of strings, or `{ phoneNumber }` objects. */
function firstNumber(v: unknown): string | null {
  if (Array.isArray(v)) {
    for (const item of v) {
      const n = firstNumber(item)
      if (n) return n
    }
    return null
  }
  if (isObject(v)) return str(v.phoneNumber) ?? str(v.number)
  return str(v)
}

/** The outside party: `from` when incoming, else `to`, else the first participant. */
function contactOf(o: Json, incoming: boolean, account: ProviderAccount): string | null {
  const side = firstNumber(incoming ? o.from : o.to)
  if (side && side !== account.number) return side
  const participants = Array.isArray(o.participants) ? o.participants : []
  for (const p of participants) {
    const n = firstNumber(p)
    if (n && n !== account.number) return n
  }
  return side
}

export function parseQuo(account: ProviderAccount, body: unknown, now: number): ParsedEvent {
  if (!isObject(body)) return bad('body', 'body must be a JSON object')
  const type = str(body.type)
  if (!type) return bad('type', 'type is required')
  if (type !== 'message.received' && type !== 'call.completed')
    return { ok: true, activity: null, ignored: `event '${type}'` }
  if (!isObject(body.data)) return bad('data', 'data must be an object')
  const field = isObject(body.data.object) ? 'data.object' : 'data.resource'
  const o = body.data.object ?? body.data.resource
  if (!isObject(o)) return bad(field, `${field} must be an object`)
  const id = str(o.id)
  if (!id) return bad(`${field}.id`, `${field}.id is required`)
  const incoming = o.direction !== 'outgoing'
  const contact = contactOf(o, incoming, account)
  if (!contact) return bad(`${field}.from`, 'the outside number is required')
  const at = timeOf(o.createdAt, timeOf(body.createdAt, now))
  const ours = firstNumber(incoming ? o.to : o.from)
  if (type === 'message.received') {
    const media = Array.isArray(o.media)
      ? o.media.flatMap((m) => {
          const url = isObject(m) ? str(m.url) : str(m)
          return url ? [url] : []
        })
      : []
    const text = typeof o.body === 'string' ? o.body : typeof o.text === 'string' ? o.text : ''
    return activityOf(account, {
      id: providerActivityId('quo', 'msg', id),
      kind: 'message',
      contact,
      direction: incoming ? 'incoming' : 'outgoing',
      at,
      body: withMedia(text, media),
      ours,
    })
  }
  const ended = timeOf(o.completedAt, at)
  const answeredAt = timeOf(o.answeredAt, NaN)
  const duration =
    typeof o.duration === 'number' && o.duration >= 0
      ? o.duration
      : Number.isFinite(answeredAt)
        ? Math.max(0, Math.round((ended - answeredAt) / 1000))
        : 0
  const answered = Number.isFinite(answeredAt) || (o.status === 'completed' && duration > 0)
  if (isObject(o.voicemail)) {
    const vm = o.voicemail
    const transcript = str(vm.transcript) ?? str(vm.transcription)
    return activityOf(account, {
      id: providerActivityId('quo', 'vm', id),
      kind: 'voicemail',
      contact,
      direction: 'incoming',
      at: ended,
      body: str(vm.url) ? `Recording: ${str(vm.url)}` : undefined,
      durationSeconds:
        typeof vm.duration === 'number' && vm.duration >= 0 ? vm.duration : undefined,
      transcript: transcript ?? undefined,
      ours,
    })
  }
  return activityOf(account, {
    id: providerActivityId('quo', 'call', id),
    kind: 'call',
    contact,
    direction: incoming ? 'incoming' : 'outgoing',
    at: ended,
    durationSeconds: answered ? duration : 0,
    missed: !answered,
    ours,
  })
}
