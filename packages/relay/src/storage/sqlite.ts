/**
 * @module RelayStorage on SQLite (better-sqlite3, WAL).
 *
 * Durability: `synchronous = FULL` in WAL mode fsyncs the WAL at every commit, so an update is
 * on disk when its append resolves and survives a crash of the machine, not only of the process
 * (NORMAL would only sync at checkpoints). Appends are committed by a writer thread with its own
 * connection, so under load the event loop never waits on that fsync (a lone append after a
 * quiet spell is committed on the loop, see INLINE_AFTER_QUIET_MS); the fsync is shared without
 * a timer: the first append is sent as soon as the code that made it yields (a microtask),
 * together with every append made in the same synchronous run, and whatever arrives while a
 * commit is being written goes out as the next commit the moment it returns (group commit that
 * never waits for company). An append resolves only once its commit returned, in call order.
 * Every stored blob carries a CRC-32, so a damaged room is refused instead of being served empty
 * or wrong.
 */
import Database from 'better-sqlite3'
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { crc32 } from 'node:zlib'
import { createSnapshotBuilder } from './snapshot-builder.ts'
import type {
  ArchivedEntry,
  MemberRecord,
  PhoneNumberRecord,
  RelayStorage,
  SessionRecord,
  StoredRoom,
} from './relay-storage.ts'
import { StorageError } from './relay-storage.ts'

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
}

interface PendingAppend {
  room: string
  data: Uint8Array
  resolve: (id: number) => void
  reject: (error: unknown) => void
}

/**
 * The append writer thread: its own connection (WAL, synchronous=FULL), one transaction per
 * batch it is sent, replying with the row ids once the commit (and its fsync) returned. Plain
 * CommonJS evaluated as a string, so it runs the same under tsx, vitest and node.
 */
/**
 * A snapshot kept inline in its row (`parts` 0), or in `parts` rows of `snapshot_parts` (`gen`).
 * It holds the log up to `upto`: log rows up to there are dropped, at once or (after a big
 * snapshot) a few at a time, and never read meanwhile.
 */
const PUT_SNAPSHOT =
  'INSERT INTO snapshots (room, data, crc, gen, parts, upto) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room) DO UPDATE SET data = excluded.data, crc = excluded.crc, gen = excluded.gen, parts = excluded.parts, upto = excluded.upto'
const INSERT_UPDATE = 'INSERT INTO updates (room, data, crc) VALUES (?, ?, ?)'
const DROP_UPDATES = 'DELETE FROM updates WHERE room = ? AND id <= ?'
/** The log after the snapshot. */
const LOG_AFTER = 'SELECT id, data, crc FROM updates WHERE room = ? AND id > ? ORDER BY id'
const DROP_PARTS = 'DELETE FROM snapshot_parts WHERE room = ?'
const SNAPSHOT_ROW = 'SELECT data, crc, gen, parts, upto FROM snapshots WHERE room = ?'
const SNAPSHOT_PARTS = 'SELECT data FROM snapshot_parts WHERE room = ? AND gen = ? ORDER BY part'
/**
 * Snapshots above this size are written as parts of this size, one transaction each, between
 * the appends: one 20-MB write held every append of the relay back for ~0.15 s.
 */
const SNAPSHOT_PART_BYTES = 256 * 1024
/**
 * Checkpoints (copying the WAL into the database file) run on a thread of their own every
 * CHECKPOINT_MS, concurrently with the appends; a connection that writes checkpoints only past
 * this many WAL pages (a safety net): one checkpoint of a 60-MB WAL held the appends for 1.5 s.
 */
const CHECKPOINT_MS = 250
const WRITER_CHECKPOINT_PAGES = 16_384
/**
 * A lone append after this long without a commit is committed on the event loop: at a few marks
 * a second each commit paid two thread wake-ups (to the writer and back) around a ~0.2-ms fsync,
 * ~0.1 ms of latency and as much CPU per mark on the store alone (bench/README.md). Under load
 * commits follow each other closely and stay on the writer thread, which fsyncs while the loop
 * broadcasts.
 */
const INLINE_AFTER_QUIET_MS = 5
/** A bigger batch is written by the thread even after a quiet spell (its write takes longer). */
const INLINE_MAX_BYTES = 64 * 1024

const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { crc32 } = require('node:zlib')
const Database = require(workerData.sqlite)
const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.pragma('busy_timeout = 5000')
db.pragma('wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}')
const insert = db.prepare(${JSON.stringify(INSERT_UPDATE)})
const write = db.transaction((rooms, datas) =>
  rooms.map((room, i) => Number(insert.run(room, datas[i], crc32(datas[i])).lastInsertRowid)))
const putSnapshot = db.prepare(${JSON.stringify(PUT_SNAPSHOT)})
const dropUpdates = db.prepare(${JSON.stringify(DROP_UPDATES)})
const dropParts = db.prepare(${JSON.stringify(DROP_PARTS)})
const putPart = db.prepare('INSERT INTO snapshot_parts (room, gen, part, data) VALUES (?, ?, ?, ?)')
const nextGen = db.prepare('SELECT coalesce(max(gen), 0) + 1 AS gen FROM snapshot_parts WHERE room = ?')
const dropOldParts = db.prepare(
  'DELETE FROM snapshot_parts WHERE rowid IN (SELECT rowid FROM snapshot_parts WHERE room = ? AND gen < ? LIMIT 4)')
const dropSomeUpdates = db.prepare(
  'DELETE FROM updates WHERE id IN (SELECT id FROM updates WHERE room = ? AND id <= ? ORDER BY id LIMIT 512)')
const PART = ${SNAPSHOT_PART_BYTES}
const compactInline = db.transaction((room, snapshot, upTo) => {
  putSnapshot.run(room, snapshot, crc32(snapshot), 0, 0, upTo)
  dropParts.run(room)
  dropUpdates.run(room, upTo)
})
// A big snapshot goes in parts, each its own commit, yielding to queued appends between them
// (setImmediate runs after the messages already received); the row switches to the new parts
// and the log position in one last commit, so a crash before it leaves the old snapshot in place.
// Parts of older generations (an interrupted write's too: a new one takes a higher number) and
// the log it holds are deleted afterwards, a few rows a step; never newer parts, which the next
// compaction may be writing meanwhile (cutting a 17-MB log in the switch held the appends for 0.7 s).
function compactInParts(id, room, snapshot, upTo) {
  const gen = nextGen.get(room).gen
  const count = Math.ceil(snapshot.byteLength / PART)
  let part = 0
  const step = () => {
    try {
      if (part < count) {
        putPart.run(room, gen, part, snapshot.subarray(part * PART, (part + 1) * PART))
        part++
        return setImmediate(step)
      }
      putSnapshot.run(room, Buffer.alloc(0), crc32(snapshot), gen, count, upTo)
    } catch (e) {
      parentPort.postMessage({ compacted: false, id, error: String((e && e.message) || e) })
      return
    }
    parentPort.postMessage({ compacted: true, id })
    const sweep = () => {
      try {
        if (dropOldParts.run(room, gen).changes + dropSomeUpdates.run(room, upTo).changes > 0)
          setImmediate(sweep)
      } catch {}
    }
    sweep()
  }
  step()
}
parentPort.on('message', (m) => {
  if (m.close) {
    db.close()
    parentPort.postMessage({ closed: true })
    return
  }
  if (m.compact) {
    const { id, room, snapshot, upTo } = m.compact
    if (snapshot.byteLength > PART) return compactInParts(id, room, snapshot, upTo)
    try {
      compactInline(room, snapshot, upTo)
      parentPort.postMessage({ compacted: true, id })
    } catch (e) {
      parentPort.postMessage({ compacted: false, id, error: String((e && e.message) || e) })
    }
    return
  }
  try {
    parentPort.postMessage({ ids: write(m.rooms, m.datas) })
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) })
  }
})
`

/**
 * The checkpointer thread: copies the WAL into the database file every CHECKPOINT_MS, at normal
 * priority (a build of a big room takes seconds; a WAL grown meanwhile made the
 * writer's own checkpoint hold the appends).
 */
const CHECKPOINTER_SOURCE = `
const { workerData } = require('node:worker_threads')
const Database = require(workerData.sqlite)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
db.pragma('synchronous = FULL')
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {}
}, ${CHECKPOINT_MS})
`

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (room TEXT PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL,
  gen INTEGER NOT NULL DEFAULT 0, parts INTEGER NOT NULL DEFAULT 0, upto INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS snapshot_parts (room TEXT NOT NULL, gen INTEGER NOT NULL, part INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (room, gen, part));
CREATE TABLE IF NOT EXISTS updates (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS updates_room ON updates (room, id);
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS phone_numbers (id TEXT PRIMARY KEY, name TEXT NOT NULL, number TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (member_id TEXT NOT NULL, phone_number_id TEXT NOT NULL,
  PRIMARY KEY (member_id, phone_number_id));
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, phone_number_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS client_owners (room TEXT NOT NULL, client INTEGER NOT NULL,
  member_id TEXT NOT NULL, PRIMARY KEY (room, client));
CREATE TABLE IF NOT EXISTS device_owners (device_id TEXT PRIMARY KEY, member_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epochs (room TEXT PRIMARY KEY, id TEXT NOT NULL, retired TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archive (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL,
  conversation_id TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (room, key));
CREATE INDEX IF NOT EXISTS archive_conversation ON archive (room, conversation_id, seq);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, refresh_gen INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL, ended_at INTEGER, end_reason TEXT, user_agent TEXT, ip TEXT);
CREATE INDEX IF NOT EXISTS sessions_member ON sessions (member_id, created_at);
`

interface MemberRow {
  id: string
  email: string
  name: string
  role: MemberRecord['role']
  password_hash: string
  created_at: number
  deactivated_at: number | null
}

interface SessionRow {
  id: string
  member_id: string
  created_at: number
  expires_at: number
  refresh_gen: number
  refreshed_at: number
  ended_at: number | null
  end_reason: string | null
  user_agent: string | null
  ip: string | null
}

const toSession = (r: SessionRow | undefined): SessionRecord | null => {
  if (!r) return null
  const s: SessionRecord = {
    id: r.id,
    memberId: r.member_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    refreshGen: r.refresh_gen,
    refreshedAt: r.refreshed_at,
  }
  if (r.ended_at !== null) s.endedAt = r.ended_at
  if (r.end_reason !== null) s.endReason = r.end_reason
  if (r.user_agent !== null) s.userAgent = r.user_agent
  if (r.ip !== null) s.ip = r.ip
  return s
}

const toMember = (r: MemberRow | undefined): MemberRecord | null => {
  if (!r) return null
  const m: MemberRecord = {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    passwordHash: r.password_hash,
    createdAt: r.created_at,
  }
  if (r.deactivated_at !== null) m.deactivatedAt = r.deactivated_at
  return m
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** One transaction inserting a batch of appends on `db`, returning their row ids in order. */
function appendTransaction(db: Database.Database) {
  const insert = db.prepare(INSERT_UPDATE)
  return db.transaction((batch: PendingAppend[]) =>
    batch.map((a) => Number(insert.run(a.room, a.data, crc32(a.data)).lastInsertRowid)),
  )
}

function appendConnection(path: string) {
  const db = new Database(path)
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 0')
  db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  const write = appendTransaction(db)
  // IMMEDIATE takes the write lock first, so a held lock fails before anything is written.
  return { db, write: (batch: PendingAppend[]) => write.immediate(batch) }
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

export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const inline = options.appendWriter === 'inline' || options.path === ':memory:'
  let db: Database.Database
  try {
    restrictStoreFiles(options.path)
    db = new Database(options.path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    db.exec(SCHEMA)
    // Stores written before snapshots could be kept in parts.
    const columns = new Set(
      db
        .prepare<[], { name: string }>('PRAGMA table_info(snapshots)')
        .all()
        .map((c) => c.name),
    )
    for (const column of ['gen', 'parts', 'upto'])
      if (!columns.has(column))
        db.exec(`ALTER TABLE snapshots ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`)
    // Stores written before members could be removed.
    const memberColumns = db.prepare<[], { name: string }>('PRAGMA table_info(members)').all()
    if (!memberColumns.some((c) => c.name === 'deactivated_at'))
      db.exec('ALTER TABLE members ADD COLUMN deactivated_at INTEGER')
    if (!inline) db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  } catch (cause) {
    throw new StorageError('unreadable', `cannot open ${options.path}`, { cause })
  }

  const q = {
    snapshot: db.prepare<
      [string],
      { data: Buffer; crc: number; gen: number; parts: number; upto: number }
    >(SNAPSHOT_ROW),
    snapshotParts: db.prepare<[string, number], { data: Buffer }>(SNAPSHOT_PARTS),
    dropParts: db.prepare(DROP_PARTS),
    updates: db.prepare<[string, number], { id: number; data: Buffer; crc: number }>(LOG_AFTER),
    putSnapshot: db.prepare(PUT_SNAPSHOT),
    dropUpdates: db.prepare(DROP_UPDATES),
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
    member: db.prepare<[string], MemberRow>('SELECT * FROM members WHERE id = ?'),
    memberByEmail: db.prepare<[string], MemberRow>('SELECT * FROM members WHERE email = ?'),
    members: db.prepare<[], MemberRow>('SELECT * FROM members ORDER BY created_at, id'),
    putMember: db.prepare(
      `INSERT INTO members (id, email, name, role, password_hash, created_at, deactivated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role,
       password_hash = excluded.password_hash, deactivated_at = excluded.deactivated_at`,
    ),
    putSession: db.prepare(
      `INSERT OR REPLACE INTO sessions (id, member_id, created_at, expires_at, refresh_gen, refreshed_at,
       ended_at, end_reason, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    session: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    sessionsOf: db.prepare<[string], SessionRow>(
      'SELECT * FROM sessions WHERE member_id = ? ORDER BY created_at DESC, id DESC',
    ),
    rotateSession: db.prepare(
      'UPDATE sessions SET refresh_gen = refresh_gen + 1, refreshed_at = ? WHERE id = ? AND refresh_gen = ? AND ended_at IS NULL',
    ),
    endSession: db.prepare(
      'UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL',
    ),
    endSessions: db.prepare<[number, string, string], { id: string }>(
      'UPDATE sessions SET ended_at = ?, end_reason = ? WHERE member_id = ? AND ended_at IS NULL RETURNING id',
    ),
    pruneSessions: db.prepare(
      'DELETE FROM sessions WHERE expires_at < ? OR coalesce(ended_at, expires_at) < ?',
    ),
    phoneNumber: db.prepare<[string], PhoneNumberRecord>(
      'SELECT id, name, number FROM phone_numbers WHERE id = ?',
    ),
    phoneNumbers: db.prepare<[], PhoneNumberRecord>(
      'SELECT id, name, number FROM phone_numbers ORDER BY rowid',
    ),
    putPhoneNumber: db.prepare(
      'INSERT INTO phone_numbers (id, name, number) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, number = excluded.number',
    ),
    grant: db.prepare('INSERT OR IGNORE INTO access (member_id, phone_number_id) VALUES (?, ?)'),
    revoke: db.prepare('DELETE FROM access WHERE member_id = ? AND phone_number_id = ?'),
    access: db.prepare<[string], { phone_number_id: string }>(
      'SELECT phone_number_id FROM access WHERE member_id = ? ORDER BY phone_number_id',
    ),
    conversation: db.prepare<[string], { phone_number_id: string }>(
      'SELECT phone_number_id FROM conversations WHERE id = ?',
    ),
    putConversation: db.prepare(
      'INSERT OR IGNORE INTO conversations (id, phone_number_id) VALUES (?, ?)',
    ),
    recordActivity: db.prepare('INSERT OR IGNORE INTO activities (id) VALUES (?)'),
    hasActivity: db.prepare<[string], { id: string }>('SELECT id FROM activities WHERE id = ?'),
    clientOwner: db.prepare<[string, number], { member_id: string }>(
      'SELECT member_id FROM client_owners WHERE room = ? AND client = ?',
    ),
    bindClient: db.prepare(
      'INSERT OR IGNORE INTO client_owners (room, client, member_id) VALUES (?, ?, ?)',
    ),
    deviceOwner: db.prepare<[string], { member_id: string }>(
      'SELECT member_id FROM device_owners WHERE device_id = ?',
    ),
    bindDevice: db.prepare(
      'INSERT OR IGNORE INTO device_owners (device_id, member_id) VALUES (?, ?)',
    ),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  }

  let queue: PendingAppend[] = []
  /** The batch being committed (by the writer thread), or null. */
  let inflight: PendingAppend[] | null = null
  let scheduled = false
  let closed = false
  let broken: StorageError | null = null
  let appendCommits = 0
  let inlineCommits = 0
  /** performance.now() when the last append commit returned. */
  let lastCommitAt = -Infinity
  const quietMs = options.inlineAfterQuietMs ?? INLINE_AFTER_QUIET_MS
  let drained: (() => void) | null = null
  /** Compactions sent to the writer thread, answered by id (one in parts answers late). */
  const compactions = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>()
  let compactionIds = 0
  const idle = () => !inflight && queue.length === 0 && compactions.size === 0

  const writeBatch = appendTransaction(db)

  const settle = (batch: PendingAppend[], ids: number[] | null, error: unknown) => {
    if (ids) {
      appendCommits++
      lastCommitAt = performance.now()
      batch.forEach((a, i) => a.resolve(ids[i]!))
    } else {
      const err = new StorageError('io', 'cannot append updates', { cause: error })
      for (const a of batch) a.reject(err)
    }
  }

  const resolveModule = createRequire(import.meta.url).resolve
  const sqliteModule = resolveModule('better-sqlite3')

  /** A thread of this store with its own connection to the file; it does not keep Node alive. */
  const thread = (source: string): Worker => {
    const w = new Worker(source, {
      eval: true,
      workerData: { path: options.path, sqlite: sqliteModule },
    })
    w.unref()
    return w
  }

  /** Started with the first build (see snapshot-builder.ts). */
  const builder = inline
    ? null
    : createSnapshotBuilder({
        path: options.path,
        sqlite: sqliteModule,
        yjs: resolveModule('yjs'),
        snapshotRow: SNAPSHOT_ROW,
        snapshotParts: SNAPSHOT_PARTS,
      })
  const checkpointer = inline ? null : thread(CHECKPOINTER_SOURCE)
  // Without it the writers checkpoint themselves (WRITER_CHECKPOINT_PAGES).
  checkpointer?.on('error', () => {})

  /**
   * Appends committed on the event loop after a quiet spell, on a connection of their own that
   * never waits for the write lock (a held lock sends the batch to the thread) and checkpoints
   * only past the writers' safety net, so it holds the loop for one small commit at most.
   */
  let writeHere: ReturnType<typeof appendConnection> | null = null
  if (!inline && quietMs !== Infinity) {
    try {
      writeHere = appendConnection(options.path)
    } catch {
      // Every append then goes to the writer thread, as before this connection existed.
    }
  }

  let writer: Worker | null = null
  if (!inline) {
    writer = thread(WRITER_SOURCE)
    writer.on(
      'message',
      (m: {
        ids?: number[]
        error?: string
        closed?: boolean
        compacted?: boolean
        id?: number
      }) => {
        if (m.closed) return
        if (m.compacted !== undefined) {
          const c = compactions.get(m.id!)!
          compactions.delete(m.id!)
          if (m.compacted) c.resolve()
          else c.reject(new StorageError('io', 'cannot write the snapshot', { cause: m.error }))
          if (compactions.size === 0 && !inflight) writer!.unref()
          if (idle()) drained?.()
          return
        }
        const batch = inflight!
        inflight = null
        if (compactions.size === 0) writer!.unref()
        settle(batch, m.ids ?? null, m.error)
        // What arrived while that commit was written goes out as the next one, at once.
        if (queue.length > 0) flush()
        else if (idle()) drained?.()
      },
    )
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
    writer.on('error', die)
    writer.on('exit', (code) => {
      if (!closed || inflight) die(new Error(`exit ${code}`))
    })
  }

  /** One transaction (one fsync) for every append queued since the last commit. */
  const flush = () => {
    scheduled = false
    if (inflight || queue.length === 0) return
    const batch = queue
    queue = []
    if (writer) {
      if (commitHere(batch)) return
      inflight = batch
      writer.ref()
      writer.postMessage({ rooms: batch.map((a) => a.room), datas: batch.map((a) => a.data) })
      return
    }
    let ids: number[]
    try {
      ids = writeBatch(batch)
    } catch (cause) {
      return settle(batch, null, cause)
    }
    settle(batch, ids, null)
  }

  /** Commits a lone small batch on the event loop after a quiet spell; false leaves it to the thread. */
  const commitHere = (batch: PendingAppend[]): boolean => {
    if (!writeHere || compactions.size > 0 || performance.now() - lastCommitAt < quietMs)
      return false
    let bytes = 0
    for (const a of batch) bytes += a.data.byteLength
    if (bytes > INLINE_MAX_BYTES) return false
    let ids: number[]
    try {
      ids = writeHere.write(batch)
    } catch {
      // The lock is held (or this connection failed): the thread waits for it, or reports why.
      return false
    }
    inlineCommits++
    settle(batch, ids, null)
    return true
  }

  const readRoom = db.transaction((room: string): StoredRoom => {
    const row = q.snapshot.get(room)
    const snap = row && {
      crc: row.crc,
      data:
        row.parts > 0
          ? Buffer.concat(q.snapshotParts.all(room, row.gen).map((p) => p.data))
          : row.data,
    }
    if (snap && crc32(snap.data) !== snap.crc) throw new Error('snapshot checksum mismatch')
    const updates = q.updates.all(room, row?.upto ?? 0).map((u) => {
      if (crc32(u.data) !== u.crc) throw new Error(`update ${u.id} checksum mismatch`)
      return { id: u.id, data: bytes(u.data) }
    })
    const stored: StoredRoom = { snapshot: snap ? bytes(snap.data) : null, updates }
    const epoch = q.epoch.get(room)
    if (epoch) stored.epoch = { id: epoch.id, retired: JSON.parse(epoch.retired) as number[] }
    return stored
  })

  const ensureOpen = () => {
    if (closed) throw new StorageError('closed', 'storage is closed')
  }

  return {
    db,
    get appendCommits() {
      return appendCommits
    },
    get inlineCommits() {
      return inlineCommits
    },
    get builderPid() {
      return builder?.pid ?? null
    },
    appendUpdate(room, data) {
      if (closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
      if (broken) return Promise.reject(broken)
      return new Promise<number>((resolve, reject) => {
        queue.push({ room, data, resolve, reject })
        // While a commit is being written, the next one starts when it returns.
        if (scheduled || inflight) return
        scheduled = true
        queueMicrotask(flush)
      })
    },
    async loadRoom(room) {
      ensureOpen()
      try {
        // One read transaction: a compaction committed between the reads would drop log
        // entries the snapshot read before it does not hold (or the parts it names).
        return readRoom(room)
      } catch (cause) {
        throw new StorageError('unreadable', `room ${room}: stored state cannot be read`, { cause })
      }
    },
    async compact(room, snapshot, upToId) {
      ensureOpen()
      if (writer) {
        if (broken) throw broken
        // On the writer thread: writing a room's snapshot (megabytes, one fsync) on the event
        // loop stalled every socket for it, and it would wait for the writer's lock anyway.
        return new Promise<void>((resolve, reject) => {
          const id = ++compactionIds
          compactions.set(id, { resolve, reject })
          writer!.ref()
          writer!.postMessage({ compact: { id, room, snapshot, upTo: upToId } })
        })
      }
      db.transaction(() => {
        q.putSnapshot.run(room, snapshot, crc32(snapshot), 0, 0, upToId)
        q.dropParts.run(room)
        q.dropUpdates.run(room, upToId)
      })()
    },
    buildSnapshot: builder ? (room, upToId) => builder.build(room, upToId) : undefined,
    async startEpoch(room, epoch) {
      ensureOpen()
      db.transaction(() => {
        q.putSnapshot.run(room, epoch.snapshot, crc32(epoch.snapshot), 0, 0, epoch.upToId)
        q.dropParts.run(room)
        q.dropUpdates.run(room, epoch.upToId)
        q.putEpoch.run(room, epoch.id, JSON.stringify(epoch.retired))
        for (const e of epoch.archive) q.putArchive.run(room, e.conversationId, e.key, e.data)
      })()
    },
    async archive(room, entries) {
      ensureOpen()
      db.transaction(() => {
        for (const e of entries) q.putArchive.run(room, e.conversationId, e.key, e.data)
      })()
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
    getMember: (id) => toMember(q.member.get(id)),
    getMemberByEmail: (email) => toMember(q.memberByEmail.get(email.toLowerCase())),
    listMembers: () => q.members.all().map((r) => toMember(r)!),
    putMember(m) {
      ensureOpen()
      q.putMember.run(
        m.id,
        m.email.toLowerCase(),
        m.name,
        m.role,
        m.passwordHash,
        m.createdAt,
        m.deactivatedAt ?? null,
      )
    },
    putSession(x) {
      ensureOpen()
      q.putSession.run(
        x.id,
        x.memberId,
        x.createdAt,
        x.expiresAt,
        x.refreshGen,
        x.refreshedAt,
        x.endedAt ?? null,
        x.endReason ?? null,
        x.userAgent ?? null,
        x.ip ?? null,
      )
    },
    getSession: (id) => toSession(q.session.get(id)),
    listSessions: (memberId) => q.sessionsOf.all(memberId).map((r) => toSession(r)!),
    rotateSession(id, fromGen, at) {
      ensureOpen()
      return q.rotateSession.run(at, id, fromGen).changes > 0
    },
    endSession(id, at, reason) {
      ensureOpen()
      return q.endSession.run(at, reason, id).changes > 0
    },
    endSessions(memberId, at, reason) {
      ensureOpen()
      return q.endSessions.all(at, reason, memberId).map((r) => r.id)
    },
    pruneSessions(before) {
      ensureOpen()
      return q.pruneSessions.run(before, before).changes
    },
    getPhoneNumber: (id) => q.phoneNumber.get(id) ?? null,
    listPhoneNumbers: () => q.phoneNumbers.all(),
    putPhoneNumber(pn) {
      ensureOpen()
      q.putPhoneNumber.run(pn.id, pn.name, pn.number)
    },
    grantAccess(memberId, phoneNumberId) {
      ensureOpen()
      q.grant.run(memberId, phoneNumberId)
    },
    revokeAccess(memberId, phoneNumberId) {
      ensureOpen()
      q.revoke.run(memberId, phoneNumberId)
    },
    listAccess: (memberId) => q.access.all(memberId).map((r) => r.phone_number_id),
    getConversationPhoneNumber: (id) => q.conversation.get(id)?.phone_number_id ?? null,
    setConversationPhoneNumber(id, pn) {
      ensureOpen()
      q.putConversation.run(id, pn)
    },
    recordActivity(id) {
      ensureOpen()
      return q.recordActivity.run(id).changes > 0
    },
    hasActivity: (id) => q.hasActivity.get(id) !== undefined,
    transaction: (fn) => db.transaction(fn)(),
    getClientOwner: (room, client) => q.clientOwner.get(room, client)?.member_id ?? null,
    bindClient(room, client, memberId) {
      ensureOpen()
      return q.bindClient.run(room, client, memberId).changes > 0
    },
    getDeviceOwner: (deviceId) => q.deviceOwner.get(deviceId)?.member_id ?? null,
    bindDevice(deviceId, memberId) {
      ensureOpen()
      return q.bindDevice.run(deviceId, memberId).changes > 0
    },
    getMeta: (key) => q.getMeta.get(key)?.value ?? null,
    setMeta(key, value) {
      ensureOpen()
      q.setMeta.run(key, value)
    },
    check() {
      ensureOpen()
      db.prepare('SELECT 1').get()
    },
    async close() {
      if (closed) return
      flush()
      if (writer) {
        if (!idle()) await new Promise<void>((resolve) => (drained = resolve))
        closed = true
        const w = writer
        // An unref'd thread does not keep Node running: without this a process whose last
        // handle was the server could end before the writer closed its connection.
        w.ref()
        await new Promise<void>((resolve) => {
          w.once('exit', () => resolve())
          w.once('message', () => void w.terminate())
          w.postMessage({ close: true })
        })
      }
      closed = true
      await builder?.close()
      checkpointer?.ref()
      await checkpointer?.terminate()
      writeHere?.db.close()
      db.close()
    },
  }
}
