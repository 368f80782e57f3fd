/**
 * @module Which rooms' runs of the inbound queue are applying a backlog (more rows waiting than one
 * write takes: a dead owner's queue, taken over), so that a webhook's answer does not wait for
 * them [W11]: its rows are durable in the queue and applied in order after the backlog.
 */

export interface Backlogs {
  /** A run of `room` found a backlog: whoever waits for that room through `unlessBacklogged` is told. */
  found(room: string): void
  /** The room's run ended. */
  ended(room: string): void
  /** `run`'s outcome, or null as soon as the room has a backlog (now, or found while waiting). */
  unlessBacklogged<T>(room: string, run: Promise<T>): Promise<T | null>
}

export function createBacklogs(): Backlogs {
  const backlogged = new Set<string>()
  const waiting = new Map<string, Set<() => void>>()
  return {
    found(room) {
      if (backlogged.has(room)) return
      backlogged.add(room)
      for (const tell of waiting.get(room) ?? []) tell()
      waiting.delete(room)
    },
    ended: (room) => void backlogged.delete(room),
    unlessBacklogged(room, run) {
      if (backlogged.has(room)) return Promise.resolve(null)
      return new Promise((resolve) => {
        const tell = () => resolve(null)
        let tells = waiting.get(room)
        if (!tells) waiting.set(room, (tells = new Set()))
        tells.add(tell)
        void run.then((outcome) => {
          tells.delete(tell)
          if (tells.size === 0 && waiting.get(room) === tells) waiting.delete(room)
          resolve(outcome)
        })
      })
    },
  }
}
