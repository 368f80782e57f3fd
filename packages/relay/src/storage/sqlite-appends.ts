/**
 * @module How the SQLite store commits appends. A writer thread with its own connection
 * commits them (sqlite-writer.ts), so the event loop never waits on an fsync; only the appends
 * made while the thread starts are committed on the loop (with the first batch meant for it: a
 * store that never needs it never loads it), and, when asked (`quietMs`), a lone append after a
 * quiet spell. The fsync is shared without
 * a timer: the first append is sent as soon as the code that made it yields (a microtask),
 * together with every append made in the same synchronous run, and whatever arrives while a
 * commit is being written goes out as the next commit the moment it returns (group commit that
 * never waits for company). Appends resolve only once their commit returned, in call order —
 * one queue for the store, so each room's appends keep their order too.
 */
import Database from 'better-sqlite3'
import type { Worker } from 'node:worker_threads'
import type { IndexRow } from './index-rows.ts'
import { startThread } from './programs.ts'
import { prepareLogWrites } from './sqlite-log-rows.ts'
import { configure } from './sqlite-schema.ts'
import type { FromWriter, StoreThreadData, ToWriter } from './sqlite-writer-protocol.ts'
import { StorageError } from './storage-error.ts'

/**
 * By default no append is committed on the event loop after a quiet spell: on a busy or shared
 * machine a descheduled process looks quiet, and each such commit held the loop for an fsync
 * under load (bench/README.md, workload 9). A finite value commits a lone append after that many
 * ms without a commit on the loop, which saves two thread wake-ups at a few marks a second.
 */
export const INLINE_AFTER_QUIET_MS = Infinity
/** A bigger batch is written by the thread even after a quiet spell (its write takes longer). */
const INLINE_MAX_BYTES = 64 * 1024

export interface AppendWriterOptions {
  path: string
  /** The store's main connection, which commits every append when there is no writer thread. */
  db: Database.Database
  /** Commit on a writer thread (a file), or on the calling thread (':memory:', or asked for). */
  threaded: boolean
  /** See SqliteStorageOptions.inlineAfterQuietMs. */
  quietMs: number
}

export interface AppendWriter {
  append(room: string, data: Uint8Array): Promise<number>
  /** Writes a directory index row with the next commit (index-rows.ts). */
  index(row: IndexRow): Promise<void>
  /** With a writer thread: writes the snapshot there (it would wait for the writer's lock anyway). */
  compact?(room: string, snapshot: Uint8Array, upTo: number): Promise<void>
  readonly appendCommits: number
  readonly inlineCommits: number
  /** Starts the writer thread if it is not running; resolves once it can commit (for tests). */
  whenWriterReady(): Promise<void>
  /** Commits what is queued, waits for what is being written, and stops the thread. */
  close(): Promise<void>
}

/** An append (`data`) or an index row (`row`) waiting for its commit. */
type PendingAppend =
  | {
      room: string
      data: Uint8Array
      row?: undefined
      resolve: (id: number) => void
      reject: (error: unknown) => void
    }
  | { row: IndexRow; data?: undefined; resolve: () => void; reject: (error: unknown) => void }

const columns = (batch: PendingAppend[]) => {
  const rooms: string[] = []
  const datas: Uint8Array[] = []
  const rows: IndexRow[] = []
  for (const a of batch) {
    if (a.row) rows.push(a.row)
    else {
      rooms.push(a.room)
      datas.push(a.data)
    }
  }
  return [rooms, datas, rows] as const
}

/**
 * Appends committed on the event loop after a quiet spell, on a connection of their own that
 * never waits for the write lock (a held lock sends the batch to the thread) and checkpoints
 * only past the writers' safety net, so it holds the loop for one small commit at most.
 */
function loopConnection(path: string) {
  const db = configure(new Database(path), { busyTimeoutMs: 0, writerCheckpoint: true })
  const { append } = prepareLogWrites(db)
  // IMMEDIATE takes the write lock first, so a held lock fails before anything is written.
  return { db, write: (batch: PendingAppend[]) => append.immediate(...columns(batch)) }
}

export function createAppendWriter(options: AppendWriterOptions): AppendWriter {
  let queue: PendingAppend[] = []
  /** The batch being committed by the writer thread, or null. */
  let inflight: PendingAppend[] | null = null
  let scheduled = false
  let closing = false
  let broken: StorageError | null = null
  let appendCommits = 0
  let inlineCommits = 0
  /** performance.now() when the last append commit returned. */
  let lastCommitAt = -Infinity
  let drained: (() => void) | null = null
  /** Compactions sent to the writer thread, answered by id (one in parts answers late). */
  const compactions = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>()
  let compactionIds = 0
  const idle = () => !inflight && queue.length === 0 && compactions.size === 0
  const { append: writeHereAndNow } = prepareLogWrites(options.db)

  const settle = (batch: PendingAppend[], ids: number[] | null, error?: unknown) => {
    if (ids) {
      if (appendCommits === 0) startCheckpointer()
      appendCommits++
      lastCommitAt = performance.now()
      let i = 0
      for (const a of batch) {
        if (a.row) a.resolve()
        else a.resolve(ids[i++]!)
      }
    } else {
      const err = new StorageError('io', 'cannot append updates', { cause: error })
      for (const a of batch) a.reject(err)
    }
  }

  let onLoop: ReturnType<typeof loopConnection> | null = null
  if (options.threaded && options.quietMs !== Infinity) {
    try {
      onLoop = loopConnection(options.path)
    } catch {
      // Every append then goes to the writer thread.
    }
  }

  let writer: Worker | null = null
  /** The writer thread has opened its connection (it loads for a moment after it starts). */
  let ready = false
  let onReady: (() => void) | null = null
  const whenReady = new Promise<void>((resolve) => (onReady = resolve))
  const die = (error: unknown) => {
    broken ??= new StorageError('io', 'the append writer stopped', { cause: error })
    const lost = [...(inflight ?? []), ...queue]
    inflight = null
    queue = []
    for (const a of lost) a.reject(broken)
    for (const c of compactions.values()) c.reject(broken)
    compactions.clear()
    drained?.()
  }
  const onMessage = (w: Worker, m: FromWriter) => {
    if (m.kind === 'closed') return
    if (m.kind === 'ready') {
      ready = true
      onReady?.()
      return
    }
    if (m.kind === 'compacted' || m.kind === 'compact-failed') {
      const c = compactions.get(m.id)!
      compactions.delete(m.id)
      if (m.kind === 'compacted') c.resolve()
      else c.reject(new StorageError('io', 'cannot write the snapshot', { cause: m.error }))
      if (compactions.size === 0 && !inflight) w.unref()
      if (idle()) drained?.()
      return
    }
    const batch = inflight!
    inflight = null
    if (compactions.size === 0) w.unref()
    if (m.kind === 'appended') settle(batch, m.ids)
    else settle(batch, null, m.error)
    // What arrived while that commit was written goes out as the next one, at once.
    if (queue.length > 0) flush()
    else if (idle()) drained?.()
  }
  /** Started the first time it is needed: a store that never needs it never loads it. */
  const thread = (): Worker => {
    if (writer) return writer
    const w = (writer = startThread(new URL('./sqlite-writer.ts', import.meta.url), {
      path: options.path,
    } satisfies StoreThreadData))
    // An idle writer does not keep Node running.
    w.unref()
    w.on('message', (m: FromWriter) => onMessage(w, m))
    w.on('error', die)
    w.on('exit', (code) => {
      if (!closing || inflight) die(new Error(`exit ${code}`))
    })
    return w
  }
  const send = (message: ToWriter) => {
    const w = thread()
    w.ref()
    w.postMessage(message)
  }

  /**
   * Started with the first commit: it copies the WAL into the database file every few hundred
   * ms, concurrently with the appends (without it the writers checkpoint themselves, past
   * WRITER_CHECKPOINT_PAGES).
   */
  let checkpointer: Worker | null = null
  const startCheckpointer = () => {
    if (checkpointer || !options.threaded || closing) return
    checkpointer = startThread(new URL('./sqlite-checkpointer.ts', import.meta.url), {
      path: options.path,
    } satisfies StoreThreadData)
    checkpointer.unref()
    checkpointer.on('error', () => {})
  }

  /**
   * Commits a small batch on the event loop after a quiet spell, or while the writer thread is
   * still starting (the first batch meant for it starts it; nothing is queued there then);
   * false leaves it to the thread.
   */
  const commitOnLoop = (batch: PendingAppend[]): boolean => {
    if (!onLoop || compactions.size > 0) return false
    if (performance.now() - lastCommitAt < options.quietMs) {
      if (ready) return false
      thread()
    }
    let bytes = 0
    for (const a of batch) bytes += a.data?.byteLength ?? 0
    if (bytes > INLINE_MAX_BYTES) return false
    let ids: number[]
    try {
      ids = onLoop.write(batch)
    } catch {
      // The lock is held (or this connection failed): the thread waits for it, or reports why.
      return false
    }
    inlineCommits++
    settle(batch, ids)
    return true
  }

  /** One transaction (one fsync) for every append queued since the last commit. */
  const flush = () => {
    scheduled = false
    if (inflight || queue.length === 0) return
    const batch = queue
    queue = []
    if (options.threaded) {
      if (commitOnLoop(batch)) return
      inflight = batch
      const [rooms, datas, rows] = columns(batch)
      send({ kind: 'append', rooms, datas, rows })
      return
    }
    let ids: number[]
    try {
      ids = writeHereAndNow(...columns(batch))
    } catch (cause) {
      return settle(batch, null, cause)
    }
    settle(batch, ids)
  }

  function enqueue<T>(
    make: (resolve: (value: T) => void, reject: (error: unknown) => void) => PendingAppend,
  ): Promise<T> {
    if (closing) return Promise.reject(new StorageError('closed', 'storage is closed'))
    if (broken) return Promise.reject(broken)
    return new Promise<T>((resolve, reject) => {
      queue.push(make(resolve, reject))
      // While a commit is being written, the next one starts when it returns.
      if (scheduled || inflight) return
      scheduled = true
      queueMicrotask(flush)
    })
  }

  return {
    get appendCommits() {
      return appendCommits
    },
    get inlineCommits() {
      return inlineCommits
    },
    append(room, data) {
      return enqueue<number>((resolve, reject) => ({ room, data, resolve, reject }))
    },
    index(row) {
      return enqueue<void>((resolve, reject) => ({ row, resolve, reject }))
    },
    compact: options.threaded
      ? async (room, snapshot, upTo) => {
          if (broken) throw broken
          return new Promise<void>((resolve, reject) => {
            const id = ++compactionIds
            compactions.set(id, { resolve, reject })
            send({ kind: 'compact', id, room, snapshot, upTo })
          })
        }
      : undefined,
    async close() {
      flush()
      if (!idle()) await new Promise<void>((resolve) => (drained = resolve))
      closing = true
      const w = writer
      // A writer still loading holds nothing: it need not finish loading to be stopped.
      if (w && !ready) await w.terminate()
      else if (w) {
        // Unref'd, the thread would not keep Node running: without this a process whose last
        // handle was the server could end before the writer closed its connection.
        w.ref()
        await new Promise<void>((resolve) => {
          w.once('exit', () => resolve())
          w.once('message', () => void w.terminate())
          w.postMessage({ kind: 'close' } satisfies ToWriter)
        })
      }
      checkpointer?.ref()
      await checkpointer?.terminate()
      onLoop?.db.close()
    },
    whenWriterReady() {
      if (options.threaded) thread()
      return whenReady
    },
  }
}
