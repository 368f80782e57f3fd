/**
 * @module The activity ids the main thread has confirmed taken in, as the webhook listener's
 * thread remembers them [W12]: a provider's retry of one of them is answered by the thread
 * itself, after its signature and body were checked, without a round trip to the main thread.
 * Only a first delivery's answer adds an id — the main thread gives it once the activity and its
 * id are durable (or queued durably, on PostgreSQL) — and ids are never forgotten by the store, so
 * an id here stays a duplicate for good; the set is bounded and starts empty with each thread.
 */
import type { Activity, IngestResult } from '@switchboard/core'

/** Ids remembered, the oldest forgotten first (a forgotten id is asked of the main thread again). */
export const MAX_CONFIRMED_IDS = 100_000

const DUPLICATE: IngestResult = { created: false, duplicate: true, reopened: false }

export interface ConfirmedIds {
  has(id: string): boolean
  /** Remembers `id`, forgetting the oldest beyond the bound. */
  add(id: string): void
  readonly size: number
}

export function confirmedIds(max = MAX_CONFIRMED_IDS): ConfirmedIds {
  const ids = new Set<string>()
  return {
    has: (id) => ids.has(id),
    add(id) {
      if (ids.has(id)) return
      ids.add(id)
      if (ids.size > max) ids.delete(ids.values().next().value!)
    },
    get size() {
      return ids.size
    },
  }
}

/**
 * [W12] `ingest` that answers a retry of an id in `confirmed` as a duplicate itself, and
 * remembers each id whose first delivery the main thread answered.
 */
export function answeringRetries(
  confirmed: ConfirmedIds,
  ingest: (activity: Activity) => Promise<IngestResult>,
): (activity: Activity) => Promise<IngestResult> {
  return async (activity) => {
    if (confirmed.has(activity.id)) return DUPLICATE
    const result = await ingest(activity)
    if (!result.duplicate) confirmed.add(activity.id)
    return result
  }
}
