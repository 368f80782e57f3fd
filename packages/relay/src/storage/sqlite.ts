/**
 * @module RelayStorage on SQLite (better-sqlite3, WAL): one file holds the room log and the
 * directory.
 *
 * Durability: `synchronous = FULL` in WAL mode fsyncs the WAL at every commit, so an update is
 * on disk when its append resolves and survives a crash of the machine, not only of the process
 * (NORMAL would only sync at checkpoints). Appends are committed as sqlite-appends.ts says,
 * snapshots of big rooms are built by a child process (snapshot-builder.ts) and written in parts,
 * and a thread of its own keeps the WAL short (sqlite-checkpointer.ts). Every stored blob
 * carries a CRC-32, so a damaged room is refused instead of being served empty or wrong. The
 * schema and its numbered migrations are in sqlite-schema.ts.
 */
import Database from 'better-sqlite3'
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs'
import type { RelayStorage } from './relay-storage.ts'
import type { ArchivedEntry, StoredRoom } from './room-log.ts'
import { createSnapshotBuilder } from './snapshot-builder.ts'
import { createAppendWriter, INLINE_AFTER_QUIET_MS } from './sqlite-appends.ts'
import { createSqliteDirectory } from './sqlite-directory.ts'
import { createSqliteOutbox } from './sqlite-outbox.ts'
import { prepareLogWrites, prepareRoomReads } from './sqlite-log-rows.ts'
import { configure, migrate } from './sqlite-schema.ts'
import { StorageError } from './storage-error.ts'

export interface SqliteStorageOptions {
  /** Path of the database file, or ':memory:'. */
  path: string
  /**
   * Where appends are written: `worker` (default for a file) commits them on a worker thread
   * with its own connection, so the event loop never waits on the fsync; `inline` commits them
   * on the calling thread (always for ':memory:', which a second connection cannot share).
   */
  appendWriter?: 'worker' | 'inline'
  /**
   * With the writer thread: an append arriving when nothing was committed for this long (ms) is
   * committed on the calling thread if the write lock is free (default INLINE_AFTER_QUIET_MS).
   * `Infinity` always uses the thread; tests use 0.
   */
  inlineAfterQuietMs?: number
}

export interface SqliteStorage extends RelayStorage {
  readonly db: Database.Database
  /** Transactions that appended updates (one fsync each); for tests and metrics. */
  readonly appendCommits: number
  /** Of those, the ones committed on the calling thread after a quiet spell. */
  readonly inlineCommits: number
  /** The snapshot builder process (started by the first build), while there is one. */
  readonly builderPid: number | null
  /** Starts the writer thread if it is not running; resolves once it can commit (for tests). */
  whenWriterReady(): Promise<void>
}

/**
 * The store file is created readable by the relay's user only [A9]; SQLite gives its -wal and
 * -shm files the database file's mode, and files of an older store are narrowed as it opens.
 */
function restrictStoreFiles(path: string): void {
  if (path === ':memory:' || path === '') return
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`])
    if (existsSync(file)) chmodSync(file, 0o600)
}

/** The main connection, its schema brought up to date; a store that cannot be is unreadable. */
function openStore(path: string, threaded: boolean): Database.Database {
  let db: Database.Database | null = null
  try {
    restrictStoreFiles(path)
    // With a writer thread, the checkpointer keeps the WAL short (see sqlite-schema.ts).
    db = configure(new Database(path), {
      busyTimeoutMs: 5000,
      wal: true,
      writerCheckpoint: threaded,
    })
    migrate(db)
    return db
  } catch (cause) {
    db?.close()
    throw new StorageError('unreadable', `cannot open ${path}`, { cause })
  }
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const threaded = options.appendWriter !== 'inline' && options.path !== ':memory:'
  const db = openStore(options.path, threaded)
  let closed = false
  const ensureOpen = () => {
    if (closed) throw new StorageError('closed', 'storage is closed')
  }

  const q = {
    epoch: db.prepare<[string], { id: string; retired: string }>(
      'SELECT id, retired FROM epochs WHERE room = ?',
    ),
    putEpoch: db.prepare(
      'INSERT INTO epochs (room, id, retired) VALUES (?, ?, ?) ON CONFLICT (room) DO UPDATE SET id = excluded.id, retired = excluded.retired',
    ),
    putArchive: db.prepare(
      'INSERT OR IGNORE INTO archive (room, conversation_id, key, data) VALUES (?, ?, ?, ?)',
    ),
    archiveAll: db.prepare<[string], { conversation_id: string; key: string; data: string }>(
      'SELECT conversation_id, key, data FROM archive WHERE room = ? ORDER BY seq',
    ),
    archiveOf: db.prepare<[string, string], { conversation_id: string; key: string; data: string }>(
      'SELECT conversation_id, key, data FROM archive WHERE room = ? AND conversation_id = ? ORDER BY seq',
    ),
    logSize: db.prepare<[string, string], { count: number; bytes: number | null }>(
      'SELECT count(*) AS count, sum(length(data)) AS bytes FROM updates WHERE room = ? AND id > coalesce((SELECT upto FROM snapshots WHERE room = ?), 0)',
    ),
    rooms: db.prepare<[], { room: string }>(
      'SELECT room FROM snapshots UNION SELECT room FROM updates ORDER BY room',
    ),
  }
  const readRoom = prepareRoomReads(db)
  const writes = prepareLogWrites(db)
  const putArchive = (room: string, entries: ArchivedEntry[]) => {
    for (const e of entries) q.putArchive.run(room, e.conversationId, e.key, e.data)
  }

  const appends = createAppendWriter({
    path: options.path,
    db,
    threaded,
    quietMs: options.inlineAfterQuietMs ?? INLINE_AFTER_QUIET_MS,
  })
  /** Started with the first build. */
  const builder = threaded ? createSnapshotBuilder({ path: options.path }) : null

  return {
    db,
    get appendCommits() {
      return appends.appendCommits
    },
    get inlineCommits() {
      return appends.inlineCommits
    },
    get builderPid() {
      return builder?.pid ?? null
    },
    whenWriterReady: () => appends.whenWriterReady(),
    appendUpdate(room, data) {
      if (closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
      return appends.append(room, data)
    },
    async loadRoom(room) {
      ensureOpen()
      let stored: StoredRoom
      try {
        const rows = readRoom(room)
        stored = {
          snapshot: rows.snapshot && bytes(rows.snapshot),
          updates: rows.updates.map((u) => ({ id: u.id, data: bytes(u.data) })),
        }
        const epoch = q.epoch.get(room)
        if (epoch) stored.epoch = { id: epoch.id, retired: JSON.parse(epoch.retired) as number[] }
      } catch (cause) {
        throw new StorageError('unreadable', `room ${room}: stored state cannot be read`, { cause })
      }
      return stored
    },
    async compact(room, snapshot, upToId) {
      ensureOpen()
      // On the writer thread where there is one: writing a room's snapshot on the event loop
      // stalled every socket for it, and it would wait for the writer's lock anyway.
      if (appends.compact) return appends.compact(room, snapshot, upToId)
      writes.putSnapshot(room, snapshot, upToId)
    },
    buildSnapshot: builder ? (room, upToId) => builder.build(room, upToId) : undefined,
    async startEpoch(room, epoch) {
      ensureOpen()
      db.transaction(() => {
        writes.putSnapshot(room, epoch.snapshot, epoch.upToId)
        q.putEpoch.run(room, epoch.id, JSON.stringify(epoch.retired))
        putArchive(room, epoch.archive)
      })()
    },
    async archive(room, entries) {
      ensureOpen()
      db.transaction(putArchive)(room, entries)
    },
    async readArchive(room, conversationId) {
      ensureOpen()
      const rows =
        conversationId === undefined
          ? q.archiveAll.all(room)
          : q.archiveOf.all(room, conversationId)
      return rows.map((r): ArchivedEntry => ({
        conversationId: r.conversation_id,
        key: r.key,
        data: r.data,
      }))
    },
    async logSize(room) {
      const r = q.logSize.get(room, room)
      return { count: r?.count ?? 0, bytes: r?.bytes ?? 0 }
    },
    async listRooms() {
      return q.rooms.all().map((r) => r.room)
    },
    ...createSqliteDirectory(db, ensureOpen, (row) => appends.index(row)),
    ...createSqliteOutbox(db, ensureOpen),
    check() {
      ensureOpen()
      db.prepare('SELECT 1').get()
    },
    async close() {
      if (closed) return
      await appends.close()
      closed = true
      await builder?.close()
      db.close()
    },
  }
}
