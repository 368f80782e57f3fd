/**
 * @module How the room log on PostgreSQL commits appends: group commit without a timer. The
 * appends made in one event-loop turn go out together as one statement (arrays in call order),
 * which is one transaction, one WAL flush and one round trip: at the end of the turn, or as soon
 * as the caller says it handed over all of the turn's (`flushNow`: the relay's rooms close their
 * batches in one callback, durable-batch.ts). While it is being committed, the appends of rooms it
 * does not hold go out as a second statement at once (two in flight at most); a room's appends
 * wait for its statement in flight and go out the moment it returns. Appends resolve once their
 * statement returned, each room's in call order, so their ids increase. Each append carries its
 * room's fence: an append under an outdated fence is not written and rejects with
 * StorageError('fenced').
 */
import { crc32 } from 'node:zlib'
import type { TransactionSql } from 'postgres'
import type { Sql } from './postgres-connect.ts'
import { RoomLogSql } from './postgres-log-schema.ts'
import { StorageError } from './storage-error.ts'

interface PendingAppend {
  room: string
  data: Uint8Array
  resolve: (id: number) => void
  reject: (error: unknown) => void
}

/** A write of another part of the store that must commit with the next appends (index rows). */
export type CommitWrite = (tx: TransactionSql) => Promise<unknown>

interface PendingWrite {
  write: CommitWrite
  resolve: () => void
  reject: (error: unknown) => void
}

export interface LogAppenderOptions {
  sql: Sql
  /**
   * The room's fence, claiming the room first if this store never did; null when the room was
   * taken by another relay (its appends are refused until it is loaded again).
   */
  fenceOf(room: string): string | null | Promise<string | null>
  /** Called once per commit for each room whose appends were refused for an outdated fence. */
  fenced(room: string, fence: string): void
  /** Told the outcome of each statement (null: it returned), for the store's health. */
  outcome(error: unknown): void
}

export interface LogAppender {
  append(room: string, data: Uint8Array): Promise<number>
  /**
   * Runs `write` in the transaction of the next appends, before them (so what it writes is never
   * durable after them); resolves once committed. Without such writes a commit is one statement.
   */
  withNextCommit(write: CommitWrite): Promise<void>
  /**
   * Sends what is queued now rather than at the end of the turn (the caller has handed over all
   * of the turn's appends); while a commit is in flight they still go out the moment it returns.
   */
  flushNow(): void
  /** Statements that appended (one commit each); for tests and metrics. */
  readonly appendCommits: number
  /** Resolves once nothing is queued or being committed. */
  drain(): Promise<void>
}

/**
 * Statements in flight at once: while one commits (its WAL flush), the next rooms' appends go
 * out on another connection instead of waiting for it; a room's own appends never overlap.
 */
const MAX_IN_FLIGHT = 2

const BYTEA = 17
const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength)

export const fencedError = (room: string) =>
  new StorageError('fenced', `room ${room} was taken by another relay (a newer fence)`)

export function createLogAppender(options: LogAppenderOptions): LogAppender {
  const { sql } = options
  let queue: PendingAppend[] = []
  let writes: PendingWrite[] = []
  /** Statements in flight, the rooms they append to, and whether one carries others' writes. */
  let inflight = 0
  const busy = new Set<string>()
  let exclusive = false
  let scheduled: ReturnType<typeof setImmediate> | null = null
  let appendCommits = 0
  let drained: (() => void)[] = []

  /** The batch's ids by position (undefined: refused for its fence) and the rooms refused. */
  const send = async (batch: PendingAppend[], alongside: PendingWrite[]) => {
    const fences = await Promise.all(batch.map((a) => options.fenceOf(a.room)))
    const sent = batch.flatMap((_, i) => (fences[i] === null ? [] : [i]))
    const ids: (number | undefined)[] = new Array(batch.length)
    const append = (tx: Sql | TransactionSql) =>
      tx.unsafe<{ ord: number; seq: string }[]>(
        RoomLogSql.appendBatch,
        [
          sent.map((i) => batch[i]!.room),
          sent.map((i) => fences[i]!),
          // Typed: an array of Buffers would otherwise be sent as one bytea.
          sql.array(sent.map((i) => asBuffer(batch[i]!.data)) as never[], BYTEA),
          sent.map((i) => crc32(batch[i]!.data) | 0),
        ] as never[],
        { prepare: true },
      )
    if (sent.length > 0 || alongside.length > 0) {
      type Row = { ord: number; seq: string }
      const rows: readonly Row[] =
        alongside.length === 0
          ? await append(sql)
          : ((await sql.begin(async (tx) => {
              for (const w of alongside) await w.write(tx)
              return sent.length > 0 ? append(tx) : []
            })) as readonly Row[])
      appendCommits++
      for (const row of rows) ids[sent[row.ord - 1]!] = Number(row.seq)
    }
    /** Each room refused, with the fence it was refused under (null: known lost already). */
    const refused = new Map<string, string | null>()
    batch.forEach((a, i) => ids[i] === undefined && refused.set(a.room, fences[i]!))
    return { ids, refused }
  }

  /** Takes what may go out now: the queue's appends of rooms with no statement in flight. */
  const take = (): PendingAppend[] => {
    if (busy.size === 0) {
      const all = queue
      queue = []
      return all
    }
    const taken: PendingAppend[] = []
    const kept: PendingAppend[] = []
    // A room's later appends wait with its first one that waits: its order is its ids' order.
    const waiting = new Set<string>()
    for (const a of queue) {
      if (busy.has(a.room) || waiting.has(a.room)) {
        waiting.add(a.room)
        kept.push(a)
      } else taken.push(a)
    }
    queue = kept
    return taken
  }

  const flush = async () => {
    if (scheduled) clearImmediate(scheduled)
    scheduled = null
    if (exclusive || inflight >= MAX_IN_FLIGHT) return
    // Another part's writes must not commit after appends queued behind them: alone in flight.
    if (writes.length > 0 && inflight > 0) return
    const alongside = writes
    const batch = take()
    if (batch.length === 0 && alongside.length === 0) return
    writes = []
    const rooms = [...new Set(batch.map((a) => a.room))]
    for (const room of rooms) busy.add(room)
    inflight++
    exclusive = alongside.length > 0
    try {
      const { ids, refused } = await send(batch, alongside)
      options.outcome(null)
      for (const w of alongside) w.resolve()
      for (const [room, fence] of refused) if (fence !== null) options.fenced(room, fence)
      batch.forEach((a, i) => {
        const id = ids[i]
        if (id === undefined) a.reject(fencedError(a.room))
        else a.resolve(id)
      })
    } catch (cause) {
      options.outcome(cause)
      const error =
        cause instanceof StorageError
          ? cause
          : new StorageError('io', 'cannot append updates', { cause })
      for (const a of [...alongside, ...batch]) a.reject(error)
    } finally {
      inflight--
      exclusive = false
      for (const room of rooms) busy.delete(room)
    }
    // What arrived while that commit was written goes out as the next one, at once.
    if (queue.length > 0 || writes.length > 0) return flush()
    if (inflight > 0) return
    const waiting = drained
    drained = []
    for (const done of waiting) done()
  }

  const schedule = () => {
    if (scheduled || exclusive || inflight >= MAX_IN_FLIGHT) return
    // setImmediate, not a microtask: microtasks run between the turn's callbacks.
    scheduled = setImmediate(() => void flush())
  }

  return {
    get appendCommits() {
      return appendCommits
    },
    append(room, data) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ room, data, resolve, reject })
        schedule()
      })
    },
    withNextCommit(write) {
      return new Promise<void>((resolve, reject) => {
        writes.push({ write, resolve, reject })
        schedule()
      })
    },
    flushNow() {
      if (scheduled) void flush()
    },
    drain() {
      if (inflight === 0 && queue.length === 0 && writes.length === 0) return Promise.resolve()
      return new Promise<void>((resolve) => drained.push(resolve))
    },
  }
}
