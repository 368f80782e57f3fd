/**
 * @module A thread's own nice value. On Linux the nice value belongs to each thread (a task of
 * its own, named by its thread id), so the webhook listener's thread can yield the cores to the
 * relay's main thread without changing the process; elsewhere the call is skipped.
 */
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/** The calling thread's id, from `/proc/thread-self` (`<pid>/task/<tid>`); null off Linux. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    return Number.isSafeInteger(tid) && tid > 0 ? tid : null
  } catch {
    return null
  }
}

/**
 * Raises the calling thread's nice value by `nice` (up to 19; upwards needs no privilege); the
 * error when it could not, null when it did or `nice` is 0.
 */
export function niceThisThread(nice: number): string | null {
  if (nice === 0) return null
  const tid = threadId()
  if (tid === null) return 'no /proc/thread-self (not Linux)'
  try {
    setPriority(tid, Math.min(19, getPriority(tid) + nice))
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}
