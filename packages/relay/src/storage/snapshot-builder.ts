/**
 * @module The snapshot builder, as the store sees it: a child process at nice 19
 * (snapshot-builder-process.ts) with its own read connection to the store rebuilds a room as
 * stored (snapshot + log up to an id) into a Y.Doc and encodes it, so a compaction of a big room
 * costs the relay's event loop nothing.
 *
 * A process, not a worker thread: V8's collector helpers are shared by every thread of a process
 * and run at normal priority, so a thread's build of a big room still took CPU from the event
 * loop however low the thread itself was. Every thread of this process is lowered. The result
 * goes through a file, read by libuv's pool into shared memory: the loop neither copies nor
 * deserialises it.
 */
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { open, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { spawnProgram } from './programs.ts'
import { BUILDER_DATABASE_URL_ENV, type BuildReply, type BuildRequest } from './snapshot-build.ts'
import type { BuiltSnapshot } from './room-log.ts'
import { StorageError } from './storage-error.ts'

export type SnapshotBuilderOptions =
  | {
      /** The SQLite database file. */
      path: string
    }
  | {
      /** The PostgreSQL database (`DATABASE_URL`), read by the builder's own connection. */
      databaseUrl: string
      /** Names this store's directory of built frames (the same for the relay started again). */
      key: string
    }

export interface SnapshotBuilder {
  /** The builder process, while there is one. */
  readonly pid: number | null
  build(room: string, upTo: number): Promise<BuiltSnapshot>
  close(): Promise<void>
}

/**
 * The file's bytes in shared memory, read on libuv's pool: the store hands the snapshot to its
 * writer thread without the event loop cloning it.
 */
async function readShared(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const bytes = new Uint8Array(new SharedArrayBuffer(size))
    for (let done = 0; done < size;) {
      const { bytesRead } = await handle.read(bytes, done, size - done, done)
      if (bytesRead === 0) throw new Error(`${file}: ${done} of ${size} bytes`)
      done += bytesRead
    }
    return bytes
  } finally {
    await handle.close()
  }
}

/**
 * Where the built frames of the store at `path` go, emptied at the first build (what a relay
 * killed mid-build left there) and removed at close: in memory (/dev/shm) where there is one —
 * a big frame written back to the disk under the WAL made its fsyncs, and so every ack, wait —
 * else beside the database.
 */
export function buildsDir(path: string): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    const key = createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16)
    return join('/dev/shm', `switchboard-builds-${key}`)
  } catch {
    return `${path}-builds`
  }
}

/** The PostgreSQL store's: in memory where there is one, else the system's temporary directory. */
function postgresBuildsDir(key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16)
  try {
    accessSync('/dev/shm', constants.W_OK)
    return join('/dev/shm', `switchboard-builds-${hash}`)
  } catch {
    return join(tmpdir(), `switchboard-builds-${hash}`)
  }
}

type Pending = { file: string; resolve: (s: BuiltSnapshot) => void; reject: (e: unknown) => void }

/**
 * Builds answered by id (not in order). The process starts with the first build and stays until
 * close; one that died is started again by the next build, the builds it held fail.
 */
export function createSnapshotBuilder(options: SnapshotBuilderOptions): SnapshotBuilder {
  const dir = 'path' in options ? buildsDir(options.path) : postgresBuildsDir(options.key)
  let dirReady = false
  let child: ChildProcess | null = null
  let ids = 0
  let closed = false
  const pending = new Map<number, Pending>()
  /** Built frames being read back. */
  let reading = 0
  /** Nothing is built or read: the directory goes (a store never closed leaves nothing). */
  const tidy = () => {
    if (!dirReady || pending.size > 0 || reading > 0) return
    rmSync(dir, { recursive: true, force: true })
    dirReady = false
  }

  const idle = (c: ChildProcess) => {
    // Not keeping Node alive between builds, like the store's threads.
    c.unref()
    c.channel?.unref()
  }
  const start = (): ChildProcess => {
    const c =
      'path' in options
        ? spawnProgram(new URL('./snapshot-builder-process.ts', import.meta.url), [options.path], {
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
          })
        : spawnProgram(new URL('./snapshot-builder-pg-process.ts', import.meta.url), [], {
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
            env: { ...process.env, [BUILDER_DATABASE_URL_ENV]: options.databaseUrl },
          })
    c.on('message', (m: BuildReply) => {
      const p = pending.get(m.id)
      if (!p) return
      pending.delete(m.id)
      if (pending.size === 0) idle(c)
      if ('error' in m) {
        rmSync(p.file, { force: true })
        tidy()
        return p.reject(new StorageError('io', 'cannot build the snapshot', { cause: m.error }))
      }
      reading++
      readShared(p.file)
        .then(
          (bytes) => () => p.resolve({ update: bytes.subarray(m.offset), syncStep2: bytes }),
          (cause: unknown) => () =>
            p.reject(new StorageError('io', 'cannot read the built snapshot', { cause })),
        )
        .then(async (settle) => {
          await unlink(p.file).catch(() => {})
          reading--
          tidy()
          settle()
        })
    })
    const stop = (cause: unknown) => {
      if (child === c) child = null
      const err = new StorageError('io', 'the snapshot builder stopped', { cause })
      for (const p of pending.values()) {
        rmSync(p.file, { force: true })
        p.reject(err)
      }
      pending.clear()
      tidy()
    }
    c.on('error', stop)
    c.on('exit', (code, signal) => stop(new Error(`exit ${signal ?? code}`)))
    return c
  }

  return {
    get pid() {
      return child?.pid ?? null
    },
    build(room, upTo) {
      if (closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
      const c = (child ??= start())
      if (!dirReady) {
        rmSync(dir, { recursive: true, force: true })
        mkdirSync(dir, { mode: 0o700 })
        dirReady = true
      }
      const id = ++ids
      const file = join(dir, `${id}.frame`)
      return new Promise<BuiltSnapshot>((resolve, reject) => {
        pending.set(id, { file, resolve, reject })
        c.ref()
        c.channel?.ref()
        c.send({ id, room, upTo, file } satisfies BuildRequest)
      })
    },
    async close() {
      if (closed) return
      closed = true
      const c = child
      child = null
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
        // Unref'd between builds: without this Node could end before the exit is seen.
        c.ref()
        c.kill('SIGKILL')
        await exited
      }
      if (dirReady) rmSync(dir, { recursive: true, force: true })
    },
  }
}
