/** @module The outbox sender's timing: its backoff, its polling and its time-outs [O2][O4]. */
import { SEND_TIMEOUT_MS } from './providers/provider-send.ts'

export interface OutboxTiming {
  /** The first retry's wait (ms); each next one doubles it. */
  firstRetryMs: number
  /** The longest wait between two tries (ms). */
  maxRetryMs: number
  /** How often due replies are looked for when nothing wakes the sender (ms). */
  pollMs: number
  /** How long a send or a look-up may take before its outcome is unknown (ms). */
  sendTimeoutMs: number
}

export const DEFAULT_OUTBOX_TIMING: OutboxTiming = {
  firstRetryMs: 1000,
  maxRetryMs: 60_000,
  pollMs: 1000,
  sendTimeoutMs: SEND_TIMEOUT_MS,
}

/** The wait before try `tries + 1`: doubling from the first, capped [O2]. */
export function retryDelay(tries: number, timing: OutboxTiming): number {
  return Math.min(timing.maxRetryMs, timing.firstRetryMs * 2 ** Math.min(tries, 30))
}
