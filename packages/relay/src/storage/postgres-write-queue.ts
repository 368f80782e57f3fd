/**
 * @module The PostgreSQL directory's writes, in call order, on their way to the store. The cache
 * already shows them; the queue commits them: every group (one call, or a `transaction`) queued in
 * one event-loop turn, and those queued while a commit runs, go in one PostgreSQL transaction.
 *
 * A conditional write (a refresh token rotated, an invite used, a device bound …) may find that
 * another relay decided first: its group is rolled back (to a savepoint, the batch's other groups
 * commit), the rows it touched are read again so the cache shows what the store decided, and its
 * promise settles `conflict`. A failed commit rejects its groups and marks the cache stale: the
 * whole directory is read again before anything else is written, retried until the store answers.
 */
import type postgres from 'postgres'
import type { Sql } from './postgres-connect.ts'
import { rereadRows } from './postgres-directory-loader.ts'
import type { DirectoryState, Table } from './postgres-directory-state.ts'
import { StorageError } from './storage-error.ts'

export interface Write {
  /** The rows it changes (`rowRef`): a read from the store leaves them alone until it settles. */
  refs: readonly string[]
  /** The tables it changes, announced to the other relays once committed. */
  tables: readonly Table[]
  /** Other relays must read these tables whole, not only the rows written since (it deleted). */
  whole?: boolean
  /** A conditional write: `run` resolves false when the store had decided otherwise. */
  conditional?: boolean
  /**
   * The room (or `*`: any room) whose updates may rely on this row — a client or device id's
   * owner [M8]. Losing it means an update admitted on the cache's word must not be stored.
   */
  guards?: string
  /**
   * A first-write-wins row's table and key: such rows go first in a commit, sorted by it, so two
   * relays inserting the same rows at once lock them in one order (never a deadlock).
   */
  order?: string
  /** Sends its one statement at once (the queue pipelines them); reads back only after it. */
  run(tx: postgres.TransactionSql): Promise<unknown>
}

/** A lone ordered write's key, or null. */
const orderOf = (g: Group) => (g.writes.length === 1 ? (g.writes[0]!.order ?? null) : null)

/** The ordered rows first, by key; every other group after them, in call order. */
function lockOrder(groups: Group[]): Group[] {
  const ordered = groups.filter((g) => orderOf(g) !== null)
  if (ordered.length === 0) return groups
  ordered.sort((x, y) => (orderOf(x)! < orderOf(y)! ? -1 : 1))
  return [...ordered, ...groups.filter((g) => orderOf(g) === null)]
}

export type GroupOutcome = 'committed' | 'conflict'

/** `Write.guards` for a row every room's updates may rely on (a device id's owner). */
export const ANY_ROOM = '*'

export interface WriteQueueOptions {
  sql: Sql
  state: DirectoryState
  /** Reads the whole directory again (after a failed commit). */
  reloadAll(): Promise<void>
  /** Called when groups lost their race, with their writes, before anyone hears of it. */
  lost?(writes: readonly Write[]): void
  /** Called after a commit with the tables it changed, and those to be read whole. */
  committed(tables: ReadonlySet<Table>, whole: ReadonlySet<Table>): void
  /** First wait before reading the store again after a failure (doubles up to 2 s). */
  retryMs?: number
}

export interface WriteQueue {
  /** Queues a group of writes; settles once it is committed, lost a race, or failed. */
  push(writes: Write[]): Promise<GroupOutcome>
  /** Runs `task` (a read) in order with the writes. */
  task(run: () => Promise<void>): Promise<void>
  /** Resolves once every group queued before the call settled; rejects if one failed. */
  whenDurable(): Promise<void>
  /** True when no group is queued or being committed (`whenDurable()` would have nothing to wait for). */
  settled(): boolean
  /** Stops retrying; queued work still runs. */
  close(): void
}

interface Group {
  writes: Write[]
  resolve(outcome: GroupOutcome): void
  reject(error: unknown): void
}
type Item = { group: Group } | { task: () => Promise<void>; done: Group }

/** Thrown inside a savepoint to roll back a group whose conditional write lost. */
class Lost extends Error {}

export function createWriteQueue(options: WriteQueueOptions): WriteQueue {
  const { sql, state } = options
  const minRetry = options.retryMs ?? 100
  const items: Item[] = []
  const unsettled = new Set<Promise<unknown>>()
  let running = false
  let scheduled = false
  let stale = false
  let retryMs = minRetry
  let retryTimer: ReturnType<typeof setTimeout> | null = null
  let closed = false

  const kick = () => {
    if (running || scheduled || retryTimer) return
    scheduled = true
    // One turn's groups gather before the first commit starts.
    setImmediate(() => {
      scheduled = false
      void loop()
    })
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    unsettled.add(promise)
    // A failure reaches whoever awaits the group or whenDurable(); nobody else.
    promise.then(
      () => unsettled.delete(promise),
      () => unsettled.delete(promise),
    )
    return promise
  }

  function newGroup(writes: Write[]): { group: Group; promise: Promise<GroupOutcome> } {
    let group!: Group
    const promise = new Promise<GroupOutcome>((resolve, reject) => {
      group = { writes, resolve, reject }
    })
    return { group, promise }
  }

  /**
   * Commits groups in one transaction; returns those whose conditional write lost. Statements are
   * pipelined (sent without waiting for the previous answer, in call order) except around a
   * group that needs a savepoint.
   */
  async function commit(groups: Group[]): Promise<Group[]> {
    const lost = new Set<Group>()
    await sql.begin(async (tx) => {
      let sent: { group: Group; conditional: boolean; result: Promise<unknown> }[] = []
      const answered = async () => {
        const waiting = sent
        sent = []
        const results = await Promise.allSettled(waiting.map((s) => s.result))
        results.forEach((r, i) => {
          if (r.status === 'rejected') throw r.reason
          if (waiting[i]!.conditional && r.value === false) lost.add(waiting[i]!.group)
        })
      }
      for (const group of lockOrder(groups)) {
        const { writes } = group
        // A lone conditional write that lost changed nothing: no savepoint needed.
        if (writes.length === 1 || !writes.some((w) => w.conditional)) {
          for (const w of writes) {
            const result = w.run(tx)
            // postgres.js sends a query once something awaits it: now, so in call order.
            result.catch(() => {})
            sent.push({ group, conditional: w.conditional === true, result })
          }
          continue
        }
        await answered()
        try {
          await tx.savepoint(async (sp) => {
            for (const w of writes)
              if ((await w.run(sp)) === false && w.conditional) throw new Lost()
          })
        } catch (error) {
          if (!(error instanceof Lost)) throw error
          lost.add(group)
        }
      }
      await answered()
    })
    return groups.filter((g) => lost.has(g))
  }

  async function settle(groups: Group[], lost: Group[]) {
    for (const g of groups) for (const w of g.writes) state.release(w.refs)
    // The cache shows what the store decided before anyone hears of the conflict.
    if (lost.length > 0)
      await rereadRows(
        sql,
        state,
        lost.flatMap((g) => g.writes.flatMap((w) => w.refs)),
      ).catch(() => {
        stale = true
      })
    const tables = new Set<Table>()
    const whole = new Set<Table>()
    for (const g of groups) {
      if (lost.includes(g)) continue
      for (const w of g.writes)
        for (const t of w.tables) {
          tables.add(t)
          if (w.whole) whole.add(t)
        }
    }
    if (tables.size > 0) options.committed(tables, whole)
    if (lost.length > 0) options.lost?.(lost.flatMap((g) => g.writes))
    for (const g of groups) g.resolve(lost.includes(g) ? 'conflict' : 'committed')
  }

  const fail = (g: Group, error: unknown) => {
    for (const w of g.writes) state.release(w.refs)
    stale = true
    const reason = error instanceof Error ? error.message : String(error)
    g.reject(
      new StorageError('io', `a directory write did not commit: ${reason}`, { cause: error }),
    )
  }

  async function runBatch(groups: Group[]) {
    try {
      await settle(groups, await commit(groups))
      return
    } catch (error) {
      if (groups.length === 1) return fail(groups[0]!, error)
    }
    // One group's bad write (a unique email taken by another relay …) must not sink the others.
    for (const g of groups) {
      try {
        await settle([g], await commit([g]))
      } catch (error) {
        fail(g, error)
      }
    }
  }

  async function loop() {
    running = true
    try {
      while (stale || items.length > 0) {
        if (stale) {
          try {
            await options.reloadAll()
            stale = false
            retryMs = minRetry
          } catch (error) {
            for (const item of items.splice(0)) {
              if ('group' in item) fail(item.group, error)
              else item.done.reject(error)
            }
            if (!closed) {
              retryTimer = setTimeout(() => {
                retryTimer = null
                kick()
              }, retryMs)
              retryMs = Math.min(retryMs * 2, 2000)
            }
            return
          }
          continue
        }
        const first = items[0]!
        if ('task' in first) {
          items.shift()
          try {
            await first.task()
            first.done.resolve('committed')
          } catch (error) {
            stale = true
            first.done.reject(error)
          }
          continue
        }
        const batch: Group[] = []
        while (items[0] && 'group' in items[0])
          batch.push((items.shift() as { group: Group }).group)
        await runBatch(batch)
      }
    } finally {
      running = false
      if (items.length > 0) kick()
    }
  }

  return {
    push(writes) {
      const { group, promise } = newGroup(writes)
      items.push({ group })
      kick()
      return track(promise)
    },
    task(run) {
      const { group, promise } = newGroup([])
      items.push({ task: run, done: group })
      kick()
      return promise.then(() => undefined)
    },
    whenDurable: () => Promise.all(unsettled).then(() => {}),
    settled: () => unsettled.size === 0,
    close() {
      closed = true
      if (retryTimer) clearTimeout(retryTimer)
      retryTimer = null
    },
  }
}

/** What each part of the PostgreSQL directory writes through. */
export interface WriteContext {
  state: DirectoryState
  /** Throws once the directory is closed. */
  ensureOpen(): void
  /** Queues a write (into the open transaction's group, if any) after its change to the cache. */
  write(write: Write): void
}
