/**
 * @module A webhook the relay cannot take in now: 503 with Retry-After, which providers retry,
 * since nothing of it was stored. Kept apart from error-answers.ts so the webhook listener's
 * thread (node/webhook-thread.ts) answers the same without loading the rooms' code.
 */
import type { Context } from 'hono'

/** Seconds a refused webhook's sender is asked to wait: about a lease, by when a relay serves. */
export const WEBHOOK_RETRY_AFTER_S = 5

/** A webhook the main thread could not take in now, as the listener's thread learns of it. */
export class WebhookUnavailable extends Error {
  readonly reason: string
  constructor(reason: string) {
    super(reason)
    this.reason = reason
    this.name = 'WebhookUnavailable'
  }
}

/** The 503 of a webhook not taken in for `reason`, logged as a warning. */
export function answerUnavailable(
  c: Context,
  reason: string,
  err: unknown,
  log: (event: Record<string, unknown>) => void,
): Response {
  log({ level: 'warn', msg: 'webhook refused: retry', path: c.req.path, err: String(err) })
  c.header('retry-after', String(WEBHOOK_RETRY_AFTER_S))
  return c.json({ error: `${reason}: not taken in, retry later` }, 503)
}
