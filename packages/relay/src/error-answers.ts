/**
 * @module How the relay answers a request that threw: an HTTP or admin error as it says; a
 * webhook it cannot take in now (it stopped serving rooms, its store is unreachable) with 503 and
 * Retry-After, which providers retry, since nothing of it was stored; anything else 500, logged.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { AdminError } from './admin-error.ts'
import { NotServingError } from './scale/room-handoff.ts'
import { StorageError } from './storage/storage-error.ts'
import { answerUnavailable } from './webhook-errors.ts'

export { WEBHOOK_RETRY_AFTER_S } from './webhook-errors.ts'

/** Store failures that pass: the same request later, here or at another relay, can succeed. */
const PASSING = new Set<string>(['io', 'closed', 'fenced', 'owned'])

/** Why `err` means "not now" rather than "wrong", or null. */
export function unavailableReason(err: unknown): string | null {
  if (err instanceof NotServingError) return err.reason
  if (err instanceof StorageError && PASSING.has(err.code)) return `store unavailable (${err.code})`
  return null
}

/** The app's `onError`. */
export function answerError(log: (event: Record<string, unknown>) => void) {
  return (err: Error, c: Context): Response => {
    if (err instanceof HTTPException) return err.getResponse()
    if (err instanceof AdminError)
      return c.json({ error: err.message, field: err.field }, err.status)
    const unavailable = c.req.path.startsWith('/api/webhooks/') ? unavailableReason(err) : null
    if (unavailable) return answerUnavailable(c, unavailable, err, log)
    log({ level: 'error', msg: 'request failed', path: c.req.path, err: String(err) })
    return c.json({ error: 'internal error' }, 500)
  }
}
