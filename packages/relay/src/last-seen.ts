/**
 * @module Members' last activity as the relay sees it (a login, a refresh, a socket opening or
 * closing), for the admin's member list: written at most once a minute per member, so a tab
 * opening ten rooms costs one write.
 */
import type { RelayStorage } from './storage/relay-storage.ts'

/** How often one member's activity is written at most (ms). */
export const LAST_SEEN_EVERY_MS = 60_000

export interface LastSeen {
  /** Records activity of the member now (written unless written in the last minute). */
  touch(memberId: string): void
}

export function createLastSeen(storage: RelayStorage, now: () => number): LastSeen {
  const written = new Map<string, number>()
  return {
    touch(memberId) {
      const t = now()
      const last = written.get(memberId)
      if (last !== undefined && t - last < LAST_SEEN_EVERY_MS) return
      written.set(memberId, t)
      try {
        storage.setLastSeen(memberId, t)
      } catch {
        // A closed store (shutdown) loses a last-seen time, never a request.
      }
    },
  }
}
