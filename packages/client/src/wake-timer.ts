/**
 * @module A timer at the next snooze wake time [Z5]: derived state depends on `now`, so the views
 * must be derived again when a snooze's time comes, even if nothing in the document changed.
 */

export interface WakeTimerOptions {
  /** The earliest wake time after `now` (ms), or null when no snooze wakes by itself. */
  nextWake(now: number): number | null
  /** Called once each time a wake time passes. */
  onWake(now: number): void
  now?: () => number
}

export interface WakeTimer {
  /** Looks again for the next wake time (call after the document changed). */
  reschedule(): void
  /** The wake time the timer waits for; null when none. */
  readonly due: number | null
  stop(): void
}

/** Browsers fire a longer timeout at once (a 32-bit delay): wait in steps no longer than this. */
const MAX_DELAY = 2 ** 31 - 1

export function createWakeTimer(options: WakeTimerOptions): WakeTimer {
  const now = options.now ?? Date.now
  let timer: ReturnType<typeof setTimeout> | null = null
  let due: number | null = null
  let stopped = false
  const clear = () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }
  const schedule = () => {
    clear()
    if (stopped) return
    const t = now()
    due = options.nextWake(t)
    if (due === null) return
    // A few ms late rather than early: at `due` itself the snooze has woken ([Z5]: now ≥ until).
    const delay = Math.min(MAX_DELAY, Math.max(0, due - t) + 5)
    timer = setTimeout(() => {
      timer = null
      const at = now()
      if (due !== null && at >= due) options.onWake(at)
      schedule()
    }, delay)
  }
  schedule()
  return {
    reschedule: schedule,
    get due() {
      return due
    },
    stop() {
      stopped = true
      clear()
      due = null
    },
  }
}
