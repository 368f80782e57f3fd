/**
 * @module From a provider's event to a core activity: the conversation a contact's events share
 * and the activity id a provider's retries share [W5][W6], and what a parser answers.
 */
import { createHash } from 'node:crypto'
import type { Activity } from '@switchboard/core'
import type { ProviderAccount, ProviderName } from './provider-account.ts'

/**
 * [W5] The conversation of one outside contact on one phone number, whichever provider or event
 * brings it: a hash of (phone number id, contact), so it needs no lookup and fits an id.
 */
export function providerConversationId(phoneNumberId: string, contact: string): string {
  const digest = createHash('sha256').update(`${phoneNumberId}\n${contact}`).digest('base64url')
  return `pc-${digest.slice(0, 24)}`
}

const UNSAFE_ID_CHARS = /[^A-Za-z0-9_.+\-~]/g

/**
 * [W6] An activity id from the provider's own id of the message or call, so a retried delivery
 * carries the same id and is ingested once. Characters an id may not hold become `~`.
 */
export function providerActivityId(provider: ProviderName, kind: string, providerId: string) {
  return `${provider}-${kind}-${providerId.replace(UNSAFE_ID_CHARS, '~')}`.slice(0, 128)
}

/** What a parser makes of a verified event. */
export type ParsedEvent =
  | { ok: true; activity: Activity }
  /** Acknowledged and not stored: an event this slice does not turn into an activity. */
  | { ok: true; activity: null; ignored: string }
  | { ok: false; error: string; field: string }

/** The fields of an activity a parser knows; the rest follow from the account. */
export interface ActivityFields {
  id: string
  kind: Activity['kind']
  /** The other party's number; the account's number is the other end. */
  contact: string
  direction: Activity['direction']
  at: number
  body?: string
  durationSeconds?: number
  missed?: boolean
  transcript?: string
  contactName?: string
  /** The number the provider names as ours (the receiver of an incoming event), when it does. */
  ours?: string | null
}

const digits = (n: string) => n.replace(/\D/g, '')

/** The longest body, transcript or contact name an activity holds (core's checkActivity). */
const MAX_TEXT = 10_000

/** The activity of `fields` on the account's phone number, in the contact's conversation. */
export function activityOf(account: ProviderAccount, fields: ActivityFields): ParsedEvent {
  const { contact, direction, ours, ...rest } = fields
  // [W9] One provider webhook may serve several numbers (a Telnyx messaging profile, a Quo
  // workspace webhook): an event of another number is never filed in this one's inbox.
  if (ours && digits(ours) !== digits(account.number))
    return { ok: true, activity: null, ignored: 'event of another phone number' }
  const activity: Activity = {
    ...rest,
    conversationId: providerConversationId(account.phoneNumberId, contact),
    phoneNumberId: account.phoneNumberId,
    direction,
    from: direction === 'incoming' ? contact : account.number,
    to: direction === 'incoming' ? account.number : contact,
  }
  for (const key of Object.keys(activity) as (keyof Activity)[])
    if (activity[key] === undefined) delete activity[key]
  // A provider retries what it is refused, so a text over an activity's limit is cut, not refused.
  for (const key of ['body', 'transcript', 'contactName'] as const)
    if (activity[key] !== undefined) activity[key] = activity[key].slice(0, MAX_TEXT)
  return { ok: true, activity }
}

/** Milliseconds of an ISO date string, or `fallback` when it is absent or not a date. */
export function timeOf(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : fallback
}

/** A short line naming attached media, appended to a message body. */
export function mediaLine(urls: readonly string[]): string {
  if (!urls.length) return ''
  return `[${urls.length} attachment${urls.length === 1 ? '' : 's'}: ${urls.join(' ')}]`
}

/** A message body with its media line, if any. */
export const withMedia = (text: string, urls: readonly string[]) =>
  [text, mediaLine(urls)].filter(Boolean).join('\n')
