/**
 * @module Webhooks across relays (docs/scale-out.md "Webhooks across relays"): on a store shared
 * by several relays, the relay a webhook reached puts its activity in the store's inbound queue
 * (one row per room it touches, exactly once however many relays a retry reaches [W6]) and
 * answers; each room's rows are applied, in order, by the room's owner — this relay when it owns
 * the room or the room has no live owner (loading it claims it), otherwise the owner, told by a
 * notice, or by its own sweep when a notice was lost. A relay never takes a room from a live owner
 * to apply a webhook, so webhooks no longer move rooms between relays. Providers' reports that
 * write a room (delivery reports, call details) and a reply's Sending are rows too
 * (scale/queued-writes.ts), applied in the same runs.
 */
import {
  appendActivity,
  checkActivity,
  ingestActivity,
  type Activity,
  type IngestResult,
} from '@switchboard/core'
import type * as Y from 'yjs'
import { createIngest } from '../ingest-queue.ts'
import { createBacklogs } from './inbound-backlog.ts'
import { RELAY_ORIGIN } from '../room.ts'
import type { InboundItem, InboundRow, InboundStore } from '../storage/inbound-store.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import { isFenced, isOwnedElsewhere } from '../storage/storage-error.ts'
import {
  createQueuedReports,
  createQueuedWriteApplier,
  isQueuedWrite,
  type PutResult,
  type QueuedReports,
  type QueuedWrite,
  type QueuedWriteApplier,
} from './queued-writes.ts'

/** How often each relay looks for rows a lost notice left waiting. */
export const INBOUND_SWEEP_MS = 1000
/** Applied rows are kept this long (providers retry for hours, at most a few days), then pruned. */
export const INBOUND_KEEP_MS = 7 * 86_400_000
/** How often a relay prunes applied rows. */
const PRUNE_EVERY_MS = 3_600_000
/** Rooms remembered as this relay's (a bound on memory; forgetting one costs a look-up). */
const MAX_MINE = 10_000
/**
 * Rows applied per write of a room: fewer than the ids an inbox keeps per conversation (50), so
 * rows applied again after a crash before they were marked done are all still known there.
 */
const BATCH = 32

export interface InboundQueueDeps {
  store: InboundStore
  storage: Pick<RelayStorage, 'hasActivity' | 'recordActivity' | 'setConversationPhoneNumber'>
  /** Writes a room this relay owns or may claim; rejects (`owned`) when a live relay owns it. */
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** The rules' mark right after an incoming activity, in the inbox room's write [F1][F4]. */
  afterIngest?(doc: Y.Doc, activity: Activity, result: IngestResult): void
  /** Applies the rows of provider reports (scale/queued-writes.ts); without it they are skipped. */
  writes?: QueuedWriteApplier
  log(event: Record<string, unknown>): void
  sweepMs?: number
}

/** What ingesting answers: the inbox's result when this relay applied it, else `queued`. */
export type InboundResult = IngestResult & { queued?: true }

export interface InboundQueue {
  ingest(activity: Activity): Promise<InboundResult>
  /** Puts a provider report's writes in (scale/queued-writes.ts), applied as `ingest`'s are. */
  put(items: InboundItem[]): Promise<PutResult>
  /** Listens for notices and sweeps every `sweepMs`. */
  start(): void
  /** Stops listening and sweeping; resolves once no room is being applied. */
  stop(): Promise<void>
  /** Applies what waits for this relay now (the sweep); resolves once done. */
  sweep(): Promise<void>
}

type Outcome =
  { applied: Map<string, IngestResult>; changed: Map<string, boolean> } | { owner: string }

const DUPLICATE: IngestResult = { created: false, duplicate: true, reopened: false }
const QUEUED: InboundResult = { created: false, duplicate: false, reopened: false, queued: true }

/** The provider an activity id names ([W6] prefixes), else `generic`. */
export const providerOf = (activityId: string): string =>
  /^(twilio|telnyx|quo)-/.exec(activityId)?.[1] ?? 'generic'

export function createInboundQueue(deps: InboundQueueDeps): InboundQueue {
  const { store, storage, writeRoom, afterIngest, writes, log } = deps
  /** Per room: the run to join (not started yet) and the tail runs chain after. */
  const runs = new Map<string, { tail: Promise<void>; waiting: Promise<Outcome> | null }>()
  let stopped = false
  let timer: ReturnType<typeof setInterval> | null = null
  let unlisten: Promise<(() => Promise<void>) | null> = Promise.resolve(null)
  let sweeping: Promise<void> | null = null
  let prunedAt = -Infinity
  /**
   * Rooms this relay appended to last: their owner is not looked up again before each batch (a
   * room taken since refuses the next append by its fence, which sends it back to the look-up).
   */
  const mine = new Set<string>()
  const backlogs = createBacklogs()
  /** Activities of this turn, put in together (one statement, in call order). */
  let arriving: { item: InboundItem; settle: (fresh: Promise<boolean>) => void }[] = []

  function enqueue(item: InboundItem): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      arriving.push({ item, settle: resolve })
      if (arriving.length === 1) setImmediate(putIn)
    })
  }
  function putIn() {
    const batch = arriving
    arriving = []
    const first = new Set<string>()
    const inserted = store.enqueue(batch.map(({ item }) => item))
    for (const { item, settle } of batch) {
      // The same activity twice in one batch: the first one is new, the others duplicates.
      const isFirst = !first.has(item.eventId)
      first.add(item.eventId)
      settle(inserted.then((ids) => isFirst && ids.has(item.eventId)))
    }
  }

  /**
   * Applies the room's pending rows, one run at a time per room; a caller arriving while one runs
   * joins the next, which reads the rows after it.
   */
  function applyRoom(room: string): Promise<Outcome> {
    let entry = runs.get(room)
    if (entry?.waiting) return entry.waiting
    if (!entry) runs.set(room, (entry = { tail: Promise.resolve(), waiting: null }))
    const e = entry
    const run = e.tail.then(() => {
      e.waiting = null
      return applyPending(room)
    })
    e.waiting = run
    const tail = run.then(
      () => {},
      () => {},
    )
    e.tail = tail
    void tail.then(() => {
      if (e.tail === tail) runs.delete(room)
    })
    return run
  }

  async function applyPending(room: string): Promise<Outcome> {
    try {
      return await applyBatches(room)
    } finally {
      backlogs.ended(room)
    }
  }

  async function applyBatches(room: string): Promise<Outcome> {
    const applied = new Map<string, IngestResult>()
    const changed = new Map<string, boolean>()
    let retries = 0
    for (;;) {
      // Checked before each batch: a relay never takes a room from a live owner for a webhook.
      const owner = mine.has(room) ? null : await store.liveOwner(room)
      if (owner) return { owner }
      // One row more than a write takes tells a backlog apart from a room that keeps up.
      const rows = await store.pending(room, BATCH + 1)
      if (rows.length === 0) return { applied, changed }
      const more = rows.length > BATCH
      if (more) rows.length = BATCH
      if (more) backlogs.found(room)
      try {
        await write(room, rows, applied, changed)
      } catch (error) {
        // Claimed by a live relay since the check, or this relay's fence was outdated (the room
        // was taken while it sat here; the failed room is loaded again by the next write): look
        // again, a few times at most.
        mine.delete(room)
        if ((isOwnedElsewhere(error) || isFenced(error)) && retries++ < 2) continue
        throw error
      }
      if (mine.size >= MAX_MINE) mine.clear()
      mine.add(room)
      // After the room's append is durable; a crash in between applies the rows again, which
      // changes nothing (each room holds an activity once, by id).
      await store.markDone(rows.map((r) => r.id))
      if (!more) return { applied, changed }
    }
  }

  async function write(
    room: string,
    rows: InboundRow[],
    applied: Map<string, IngestResult>,
    changed: Map<string, boolean>,
  ) {
    const items: (Activity | { eventId: string; write: QueuedWrite })[] = []
    for (const row of rows) {
      const write = isQueuedWrite(row.eventId) ? writes?.parse(row.payload) : undefined
      const item = write ? { eventId: row.eventId, write } : write === undefined && parseRow(row)
      if (item) items.push(item)
      else log({ level: 'error', msg: 'inbound row unreadable: skipped', room, id: row.id })
    }
    const durable: (() => void)[] = []
    const applyWrite = (
      doc: Y.Doc,
      { eventId, write }: { eventId: string; write: QueuedWrite },
    ) => {
      const done = writes!.apply(doc, room, write)
      changed.set(eventId, done.changed)
      if (done.durable) durable.push(done.durable)
    }
    if (room.startsWith('inbox:')) {
      for (const a of items)
        if (!('write' in a)) storage.setConversationPhoneNumber(a.conversationId, a.phoneNumberId)
      // One transaction per activity: what it did (reopened, a rule's mark) is read from the
      // inbox's derived state, which a transaction updates when it ends; one batch all the same.
      await writeRoom(room, (doc) => {
        for (const a of items) {
          if ('write' in a) {
            applyWrite(doc, a)
            continue
          }
          const result = ingestActivity(doc, a, RELAY_ORIGIN)
          applied.set(a.id, result)
          afterIngest?.(doc, a, result)
        }
      })
    } else if (room.startsWith('conversation:')) {
      await writeRoom(room, (doc) =>
        doc.transact(() => {
          for (const a of items)
            if ('write' in a) applyWrite(doc, a)
            else appendActivity(doc, a, RELAY_ORIGIN)
        }, RELAY_ORIGIN),
      )
    } else log({ level: 'error', msg: 'inbound row for no known room kind: skipped', room })
    for (const fn of durable) fn()
  }

  /** Applies here or tells the owner; never rejects (the rows wait for the sweep). */
  const deliver = (room: string): Promise<Outcome | null> =>
    applyRoom(room).then(
      (outcome) => {
        if ('owner' in outcome) store.notify(outcome.owner, room)
        return outcome
      },
      (error: unknown) => {
        log({ level: 'warn', msg: 'inbound rows left for the sweep', room, err: String(error) })
        return null
      },
    )

  async function sweep(): Promise<void> {
    if (sweeping) return sweeping
    sweeping = (async () => {
      try {
        const rooms = await store.waiting()
        await Promise.all(rooms.map((r) => deliver(r.room)))
        if (performance.now() - prunedAt >= PRUNE_EVERY_MS) {
          prunedAt = performance.now()
          await store.prune(INBOUND_KEEP_MS)
        }
      } catch (error) {
        log({ level: 'warn', msg: 'inbound sweep failed', err: String(error) })
      } finally {
        sweeping = null
      }
    })()
    return sweeping
  }

  return {
    async ingest(activity) {
      if (storage.hasActivity(activity.id)) return DUPLICATE
      const inbox = `inbox:${activity.phoneNumberId}`
      const conversation = `conversation:${activity.conversationId}`
      storage.setConversationPhoneNumber(activity.conversationId, activity.phoneNumberId)
      const item = {
        provider: providerOf(activity.id),
        eventId: activity.id,
        payload: JSON.stringify(activity),
        rooms: [inbox, conversation],
      }
      if (!(await enqueue(item))) return DUPLICATE
      // Durable in the queue: a retry is a duplicate from now on, and the rows will be applied.
      storage.recordActivity(activity.id)
      // A room with a backlog to apply first is not waited for: its rows are durable, in order.
      const [outcome] = await Promise.all([
        backlogs.unlessBacklogged(inbox, deliver(inbox)),
        backlogs.unlessBacklogged(conversation, deliver(conversation)),
      ])
      const result = outcome && 'applied' in outcome ? outcome.applied.get(activity.id) : undefined
      return result ?? QUEUED
    },
    async put(items) {
      const fresh = await Promise.all(items.map(enqueue))
      const rooms = [...new Set(items.flatMap((i) => i.rooms))]
      const outcomes = await Promise.all(rooms.map(deliver))
      const changed = new Map<string, boolean>()
      for (const outcome of outcomes)
        if (outcome && 'changed' in outcome)
          for (const [id, did] of outcome.changed) if (!changed.has(id)) changed.set(id, did)
      return { fresh: new Set(items.filter((_, i) => fresh[i]).map((i) => i.eventId)), changed }
    },
    start() {
      if (stopped || timer) return
      unlisten = store
        .listen(
          (rooms) => {
            if (!stopped) for (const room of rooms) void deliver(room)
          },
          () => void sweep(),
        )
        .catch((error: unknown) => {
          log({ level: 'warn', msg: 'inbound notices not heard', err: String(error) })
          return null
        })
      timer = setInterval(() => {
        if (!stopped) void sweep()
      }, deps.sweepMs ?? INBOUND_SWEEP_MS)
      timer.unref?.()
      void sweep()
    },
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = null
      const stop = await unlisten
      await stop?.().catch(() => {})
      await sweeping
      await Promise.all([...runs.values()].map((e) => e.tail))
    },
    sweep,
  }
}

/** The activity a row holds; null when it cannot be read (it is never retried for ever). */
function parseRow(row: InboundRow): Activity | null {
  try {
    const checked = checkActivity(JSON.parse(row.payload))
    return checked.ok && checked.value.id === row.eventId ? checked.value : null
  } catch {
    return null
  }
}

/**
 * How the relay takes activities in: through the store's inbound queue when it has one (several
 * relays), otherwise directly (ingest-queue.ts). With the queue come `queued` provider reports.
 */
export function createIngestion(deps: {
  storage: RelayStorage
  writeRoom: InboundQueueDeps['writeRoom']
  /** On one relay: a room whose batches may not be stored (ingest-queue.ts). */
  unsound?: (name: string) => boolean
  rules: Pick<Required<InboundQueueDeps>, 'afterIngest'>
  log: InboundQueueDeps['log']
  now: () => number
  /** Counts a reply's reported outcome, applied from a queued report. */
  metrics?: {
    outboxReply: NonNullable<Parameters<typeof createQueuedWriteApplier>[0]['onOutcome']>
  }
}): Pick<InboundQueue, 'ingest' | 'start' | 'stop'> & { queued?: QueuedReports } {
  const { storage, writeRoom, rules, log, now, metrics } = deps
  const afterIngest = rules.afterIngest
  if (storage.inbound) {
    const writes = createQueuedWriteApplier(
      metrics ? { storage, onOutcome: metrics.outboxReply } : { storage },
    )
    const store = storage.inbound
    const queue = createInboundQueue({ store, storage, writeRoom, afterIngest, writes, log })
    return { ...queue, queued: createQueuedReports({ put: queue.put, storage, now }) }
  }
  const ingest = createIngest({ storage, writeRoom, afterIngest, unsound: deps.unsound })
  return { ingest, start: () => {}, stop: () => Promise.resolve() }
}
