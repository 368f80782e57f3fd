/**
 * @module Our own signed webhook (`/api/webhooks/activity`): its signature and its body's
 * activities, checked against the store. They are applied by ingest-queue.ts.
 */
import { checkActivity, type Activity } from '@switchboard/core'
import type { RelayStorage } from './storage/relay-storage.ts'

/** How far ahead of the relay's clock a webhook activity's time may be [A6]. */
export const MAX_ACTIVITY_AHEAD_MS = 5 * 60_000

const SIGNATURE_RE = /^sha256=([0-9a-f]{64})$/

/**
 * True when `signature` is `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`
 * (compared in constant time by Web Crypto's verify).
 */
export async function verifySignature(
  secret: string,
  body: Uint8Array,
  signature: string,
): Promise<boolean> {
  const hex = SIGNATURE_RE.exec(signature)?.[1]
  if (!hex) return false
  const mac = new Uint8Array(32)
  for (let i = 0; i < 32; i++) mac[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  return crypto.subtle.verify('HMAC', key, mac, body as Uint8Array<ArrayBuffer>)
}

/** A webhook body refused: the message and the field it names. */
export interface WebhookRefusal {
  error: string
  field: string
  /** 404 for a number the workspace does not have (or no longer has [N5]); 400 otherwise. */
  status?: 404
}

/**
 * The activities of a webhook body (one activity or a list), each checked against the store:
 * its phone number exists and its conversation is not another number's.
 */
export function parseWebhook(
  storage: RelayStorage,
  input: unknown,
  now: number,
): { ok: true; activities: Activity[] } | ({ ok: false } & WebhookRefusal) {
  const list = Array.isArray(input) ? input : [input]
  if (list.length === 0) return { ok: false, error: 'no activities', field: 'body' }
  const activities: Activity[] = []
  for (const [i, item] of list.entries()) {
    const prefix = Array.isArray(input) ? `[${i}].` : ''
    const checked = checkActivity(item)
    if (!checked.ok) return { ok: false, error: checked.message, field: prefix + checked.field }
    const a = checked.value
    // [A6] A time far ahead would sort first in every inbox for as long as it lasts; late ones
    // stay accepted, as providers retry and queues delay.
    if (a.at > now + MAX_ACTIVITY_AHEAD_MS)
      return {
        ok: false,
        error: `at is more than ${MAX_ACTIVITY_AHEAD_MS / 60_000} minutes ahead of the relay's clock`,
        field: `${prefix}at`,
      }
    if (!storage.getPhoneNumber(a.phoneNumberId))
      return {
        ok: false,
        error: 'unknown phone number',
        field: `${prefix}phoneNumberId`,
        status: 404,
      }
    const owner = storage.getConversationPhoneNumber(a.conversationId)
    if (owner && owner !== a.phoneNumberId)
      return {
        ok: false,
        error: 'conversation belongs to another phone number',
        field: `${prefix}conversationId`,
      }
    activities.push(a)
  }
  return { ok: true, activities }
}
