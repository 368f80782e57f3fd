/**
 * @module Activities in (a provider's webhook, our own signed webhook, a member's reply), applied
 * as the relay's own peer to the inbox room (reopening what they must [M3]) and to the
 * conversation room, once per activity id [W6]. They queue and are applied a few at a time
 * between the event loop's turns, each room opened and stored once per turn: a burst of webhooks
 * (a provider's retries after an outage) never holds the loop for long, so members' marks
 * arriving meanwhile are not kept waiting behind it.
 */
import { appendActivity, ingestActivity, type Activity, type IngestResult } from '@switchboard/core'
import type * as Y from 'yjs'
import { atEndOfTurn, closingTurn } from './durable-batch.ts'
import { RELAY_ORIGIN } from './room.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

export interface IngestionDeps {
  storage: RelayStorage
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /**
   * True when a room's batch may not be stored (not in memory, or failed): its activities' ids
   * then wait for the rooms' writes to resolve. Without it they always wait (a commit more).
   */
  unsound?(name: string): boolean
  /**
   * Runs in the inbox room's write, right after the activity: a mute's or rule's Done mark
   * [F1][F4], so it is stored and broadcast in the same update.
   */
  afterIngest?(doc: Y.Doc, activity: Activity, result: IngestResult): void
}

/** How long one turn may spend applying queued activities before it lets the loop run. */
const TURN_BUDGET_MS = 2
/** The first turn's size, before the cost of an activity is known. */
const FIRST_TURN = 8

interface Job {
  activity: Activity
  resolve: (result: IngestResult) => void
  reject: (error: unknown) => void
}

const DUPLICATE: IngestResult = { created: false, duplicate: true, reopened: false }

/** Applies an activity durably and broadcasts it; a known activity id is a duplicate. */
export function createIngest(deps: IngestionDeps): (activity: Activity) => Promise<IngestResult> {
  const { storage, writeRoom, afterIngest, unsound } = deps
  const queue: Job[] = []
  let scheduled = false
  /** Mean ms one activity took to apply (both rooms), which sizes the next turn. */
  let msPerActivity = TURN_BUDGET_MS / FIRST_TURN
  /** Time spent in the rooms' transactions, and the activities they applied, since the last turn. */
  let spentMs = 0
  let applied = 0

  const schedule = () => {
    if (scheduled || queue.length === 0) return
    scheduled = true
    setImmediate(turn)
  }

  function turn() {
    scheduled = false
    // The activities applied since the last turn say what one costs.
    if (applied > 0) {
      msPerActivity = 0.7 * msPerActivity + (0.3 * spentMs) / applied
      spentMs = applied = 0
    }
    const size = Math.max(1, Math.floor(TURN_BUDGET_MS / msPerActivity))
    const jobs = queue.splice(0, size)
    // A store that fails before any room is written fails the turn's activities, not the relay.
    apply(jobs).catch((error: unknown) => {
      for (const job of jobs) job.reject(error)
    })
    schedule()
  }

  /** One turn's jobs: each room written once, its updates stored in one batch. */
  async function apply(jobs: Job[]) {
    const inboxes = new Map<string, Job[]>()
    const conversations = new Map<string, Job[]>()
    for (const job of jobs) {
      const { phoneNumberId, conversationId } = job.activity
      add(inboxes, `inbox:${phoneNumberId}`, job)
      add(conversations, `conversation:${conversationId}`, job)
    }
    const results = new Map<Job, IngestResult>()
    const failed = new Map<Job, unknown>()
    /** The turn each job's first room was written in (durable-batch.ts `closingTurn`). */
    const firstTurn = new Map<Job, number>()
    /** Jobs whose id went in the commit of both their rooms' appends. */
    const recorded = new Set<Job>()
    // The directory rows ride in the rooms' commits (SQLite): one commit a turn, not three.
    const written = (job: Job) => {
      const turn = closingTurn()
      const first = firstTurn.get(job)
      if (first === undefined) {
        firstTurn.set(job, turn)
        const { conversationId, phoneNumberId } = job.activity
        // With the first room's append, so the conversation is never served before its number.
        atEndOfTurn(() => storage.setConversationPhoneNumber(conversationId, phoneNumberId))
        return
      }
      if (first !== turn || !unsound) return
      // [W6] Both rooms' appends of this turn are handed to the store before the id, in the same
      // commit: the id is never durable without them (a failed room's batch is not stored).
      const { id, phoneNumberId, conversationId } = job.activity
      atEndOfTurn(() => {
        if (unsound(`inbox:${phoneNumberId}`) || unsound(`conversation:${conversationId}`)) return
        recorded.add(job)
        storage.recordActivity(id)
      })
    }
    // `together`: one transaction for the room's activities. An inbox's are one each: what an
    // activity did there (reopened, and a rule's mark after it) is read from the inbox's derived
    // state, which a transaction updates when it ends; its updates still share the turn's batch.
    const write = (
      rooms: Map<string, Job[]>,
      together: boolean,
      one: (doc: Y.Doc, job: Job) => void,
    ) =>
      [...rooms].map(([name, roomJobs]) => {
        const fn = (doc: Y.Doc) => {
          const started = performance.now()
          if (together) {
            doc.transact(() => {
              for (const job of roomJobs) one(doc, job)
            }, RELAY_ORIGIN)
            for (const job of roomJobs) written(job)
          } else
            for (const job of roomJobs) {
              one(doc, job)
              written(job)
            }
          spentMs += performance.now() - started
          applied += roomJobs.length / 2
        }
        return writeRoom(name, fn).catch((error: unknown) => {
          for (const job of roomJobs) failed.set(job, error)
        })
      })
    // Both rooms at once: their appends share a commit. Each is idempotent by activity id, so a
    // retry after a crash between them completes the other.
    await Promise.all([
      ...write(inboxes, false, (doc, job) => {
        const result = ingestActivity(doc, job.activity, RELAY_ORIGIN)
        results.set(job, result)
        afterIngest?.(doc, job.activity, result)
      }),
      ...write(conversations, true, (doc, job) => appendActivity(doc, job.activity, RELAY_ORIGIN)),
    ])
    // Rooms written in different turns: the id is recorded only once both hold it, so a retry
    // after a crash is never taken for a duplicate of what was lost; durable before the answer.
    for (const job of jobs) if (!failed.has(job) && !recorded.has(job)) record(job)
    let durable: unknown = null
    await storage.whenDurable().catch((error: unknown) => (durable = error ?? new Error('store')))
    for (const job of jobs) {
      const error = failed.get(job) ?? durable
      if (error !== null) job.reject(error)
      else job.resolve(results.get(job) ?? DUPLICATE)
    }
  }

  function record({ activity }: Job) {
    storage.setConversationPhoneNumber(activity.conversationId, activity.phoneNumberId)
    storage.recordActivity(activity.id)
  }

  return (activity) => {
    if (storage.hasActivity(activity.id)) return Promise.resolve(DUPLICATE)
    return new Promise<IngestResult>((resolve, reject) => {
      queue.push({ activity, resolve, reject })
      schedule()
    })
  }
}

function add(groups: Map<string, Job[]>, name: string, job: Job) {
  const list = groups.get(name)
  if (list) list.push(job)
  else groups.set(name, [job])
}
