/**
 * @module The snapshot builder: a child process at nice 19 with its own read connection to the
 * store. It rebuilds a room as stored (snapshot + log up to an id) into a Y.Doc and encodes it,
 * so a compaction of a big room costs the relay's event loop nothing.
 *
 * A process, not a worker thread: V8's collector helpers are shared by every thread of a process
 * and run at normal priority, so a thread's build of a 60-MB room still took CPU from the event
 * loop (ack p99 0.15–0.66 s in the durable bench) however low the thread itself was. Every thread
 * of this process is lowered. The result goes through a file, read by libuv's pool into shared
 * memory: the loop neither copies nor deserialises it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { BuiltSnapshot } from './relay-storage.ts'
import { StorageError } from './relay-storage.ts'

export interface SnapshotBuilderOptions {
  /** The database file. */
  path: string
  /** Resolved module paths the process requires. */
  sqlite: string
  yjs: string
  /** The stored snapshot's row (data, crc, gen, parts, upto) and its parts, by room (and gen). */
  snapshotRow: string
  snapshotParts: string
}

export interface SnapshotBuilder {
  /** The builder process, while there is one. */
  readonly pid: number | null
  build(room: string, upTo: number): Promise<BuiltSnapshot>
  close(): Promise<void>
}

/** Plain CommonJS evaluated by `node -e`, so it runs the same under tsx, vitest and node. */
const SOURCE = `
const fs = require('node:fs')
const os = require('node:os')
const { crc32 } = require('node:zlib')
const cfg = JSON.parse(process.env.SWITCHBOARD_BUILDER)
// Linux sets priorities per thread: lower every thread there is now (the collector's helpers);
// threads started later inherit it from their parent.
for (const tid of fs.readdirSync('/proc/self/task')) {
  try { os.setPriority(Number(tid), 19) } catch {}
}
const Database = require(cfg.sqlite)
const Y = require(cfg.yjs)
const db = new Database(cfg.path, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 5000')
const snapshotRow = db.prepare(cfg.snapshotRow)
const snapshotParts = db.prepare(cfg.snapshotParts)
const log = db.prepare('SELECT id, data, crc FROM updates WHERE room = ? AND id > ? AND id <= ? ORDER BY id')
const read = db.transaction((room, upTo) => {
  const row = snapshotRow.get(room)
  const snap = row && { crc: row.crc, data: row.parts > 0 ? Buffer.concat(snapshotParts.all(room, row.gen).map((p) => p.data)) : row.data }
  return { snap, rows: log.all(room, row ? row.upto : 0, upTo) }
})
process.on('disconnect', () => process.exit(0))
process.on('message', (m) => {
  const doc = new Y.Doc({ gc: true })
  try {
    const { snap, rows } = read(m.room, m.upTo)
    if (snap && crc32(snap.data) !== snap.crc) throw new Error('snapshot checksum mismatch')
    Y.transact(doc, () => {
      if (snap) Y.applyUpdate(doc, snap.data)
      for (const r of rows) {
        if (crc32(r.data) !== r.crc) throw new Error('update ' + r.id + ' checksum mismatch')
        Y.applyUpdate(doc, r.data)
      }
    })
    if (doc.store.pendingStructs || doc.store.pendingDs) throw new Error('stored updates have missing parts')
    const built = Y.encodeStateAsUpdate(doc)
    // Framed as the sync step 2 a cold join is answered with: the relay sends the file's bytes
    // as they are and stores the update inside them.
    const header = [0, 1]
    for (let n = built.byteLength; ; n = Math.floor(n / 128)) {
      if (n < 128) { header.push(n); break }
      header.push((n % 128) | 128)
    }
    // The frame holds a room's whole document: readable by the relay's user only [A9].
    const fd = fs.openSync(m.file, 'w', 0o600)
    try {
      fs.writeSync(fd, Uint8Array.from(header))
      fs.writeSync(fd, built)
    } finally {
      fs.closeSync(fd)
    }
    // The relay may have gone meanwhile (killed): nobody will read or delete the file then.
    if (!process.connected) fs.rmSync(m.file, { force: true })
    else process.send({ id: m.id, offset: header.length })
  } catch (e) {
    process.send({ id: m.id, error: String((e && e.message) || e) })
  } finally {
    doc.destroy()
  }
})
`

/**
 * The file's bytes in shared memory, read on libuv's pool: the store hands the snapshot to its
 * writer thread without the event loop cloning it (60 MB: ~0.3 s).
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
 * 60 MB written back to the disk under the WAL made its fsyncs, and so every ack, wait — else
 * beside the database.
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

type Pending = { file: string; resolve: (s: BuiltSnapshot) => void; reject: (e: unknown) => void }

/**
 * Builds answered by id (not in order). The process starts with the first build and stays until
 * close; one that died is started again by the next build, the builds it held fail.
 */
export function createSnapshotBuilder(options: SnapshotBuilderOptions): SnapshotBuilder {
  const dir = buildsDir(options.path)
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
    const { path, sqlite, yjs, snapshotRow, snapshotParts } = options
    const c = spawn(process.execPath, ['-e', SOURCE], {
      env: {
        ...process.env,
        SWITCHBOARD_BUILDER: JSON.stringify({ path, sqlite, yjs, snapshotRow, snapshotParts }),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    c.on('message', (m: { id?: number; offset?: number; error?: string }) => {
      if (m.id === undefined) return
      const p = pending.get(m.id)
      if (!p) return
      pending.delete(m.id)
      if (pending.size === 0) idle(c)
      if (m.error !== undefined) {
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
        c.send({ id, room, upTo, file })
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
