/** @module Activities as a telephony provider reports them: checked field by field. */
import { isValidId } from './rooms.ts'
import type { Activity, ActivitySummary } from './types.ts'

export type ActivityCheck =
  { ok: true; value: Activity } | { ok: false; field: string; message: string }

const MAX_BODY = 10_000

/** Checks untrusted input; names the first invalid field. */
export function checkActivity(input: unknown): ActivityCheck {
  const bad = (field: string, message: string): ActivityCheck => ({ ok: false, field, message })
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return bad('activity', 'must be an object')
  const a = input as Record<string, unknown>
  for (const field of ['id', 'conversationId', 'phoneNumberId'] as const)
    if (!isValidId(a[field])) return bad(field, 'must be 1–128 characters of A–Z a–z 0–9 _ . + - ~')
  if (a.direction !== 'incoming' && a.direction !== 'outgoing')
    return bad('direction', "must be 'incoming' or 'outgoing'")
  if (a.kind !== 'message' && a.kind !== 'call' && a.kind !== 'voicemail')
    return bad('kind', "must be 'message', 'call' or 'voicemail'")
  for (const field of ['from', 'to'] as const)
    if (
      typeof a[field] !== 'string' ||
      !(a[field] as string).length ||
      (a[field] as string).length > 64
    )
      return bad(field, 'must be a non-empty string of at most 64 characters')
  if (typeof a.at !== 'number' || !Number.isFinite(a.at) || a.at < 0)
    return bad('at', 'must be a timestamp in milliseconds')
  for (const field of ['body', 'transcript', 'contactName'] as const)
    if (
      a[field] !== undefined &&
      (typeof a[field] !== 'string' || (a[field] as string).length > MAX_BODY)
    )
      return bad(field, `must be a string of at most ${MAX_BODY} characters`)
  if (
    a.durationSeconds !== undefined &&
    (typeof a.durationSeconds !== 'number' || a.durationSeconds < 0)
  )
    return bad('durationSeconds', 'must be a non-negative number')
  if (a.missed !== undefined && typeof a.missed !== 'boolean')
    return bad('missed', 'must be a boolean')
  if (a.memberId !== undefined && (a.direction !== 'outgoing' || !isValidId(a.memberId)))
    return bad('memberId', 'must be a member id, on outgoing activity only')
  const value: Activity = {
    id: a.id as string,
    conversationId: a.conversationId as string,
    phoneNumberId: a.phoneNumberId as string,
    direction: a.direction,
    kind: a.kind,
    from: a.from as string,
    to: a.to as string,
    at: a.at,
  }
  if (a.body !== undefined) value.body = a.body as string
  if (a.transcript !== undefined) value.transcript = a.transcript as string
  if (a.contactName !== undefined) value.contactName = a.contactName as string
  if (a.durationSeconds !== undefined) value.durationSeconds = a.durationSeconds as number
  if (a.missed !== undefined) value.missed = a.missed as boolean
  if (a.memberId !== undefined) value.memberId = a.memberId as string
  return { ok: true, value }
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60)
  const s = Math.round(seconds % 60)
  return m ? `${m}m ${s}s` : `${s}s`
}

/** The one-line preview the conversation list shows. */
export function summarize(activity: Activity): ActivitySummary {
  let preview: string
  if (activity.kind === 'message') preview = activity.body ?? ''
  else if (activity.kind === 'voicemail')
    preview = `Voicemail: ${activity.transcript ?? activity.body ?? ''}`
  else if (activity.missed) preview = 'Missed call'
  else
    preview = `${activity.direction === 'incoming' ? 'Incoming' : 'Outgoing'} call · ${formatDuration(activity.durationSeconds ?? 0)}`
  return {
    id: activity.id,
    direction: activity.direction,
    kind: activity.kind,
    preview: preview.slice(0, 200),
    at: activity.at,
  }
}
