/**
 * @module RelayStorage on PostgreSQL (`DATABASE_URL`): the room log (postgres-room-log.ts) and
 * the directory with its outbox (postgres-directory.ts) over one connection pool, checked to
 * commit durably before anything is served (docs/scale-out.md).
 */
import type { DirectoryDump } from './directory-dump.ts'
import { connectPostgres, type Sql } from './postgres-connect.ts'
import {
  createPostgresDirectory,
  type DirectoryChange,
  type PostgresDirectory,
} from './postgres-directory.ts'
import type { InboundStore } from './inbound-store.ts'
import { createPostgresInbound } from './postgres-inbound.ts'
import { migrateLockouts } from './postgres-lockouts.ts'
import { migrateRoomLog } from './postgres-log-schema.ts'
import { createPostgresRoomLog } from './postgres-room-log.ts'
import { assertDurableServer } from './postgres-server-checks.ts'
import type { RelayStorage } from './relay-storage.ts'
import { createSnapshotBuilder } from './snapshot-builder.ts'
import { StorageError } from './storage-error.ts'

export interface PostgresStorageOptions {
  /** `postgres://…` (a `?host=/dir` parameter names a unix socket directory). */
  url: string
  /** This relay's name: the owner recorded for the rooms it claims. */
  relayId: string
  /** Connections in the pool (default 10). */
  max?: number
  /** A write of `room` was refused: another relay took it (its sockets must go elsewhere). */
  onFenced?: (room: string) => void
  /**
   * A relay whose heartbeat is older than this (ms, default 5000) owns no room: loading a room
   * claims it only from such a relay (or none, or this one).
   */
  leaseMs?: number
}

export interface PostgresStorage extends RelayStorage {
  readonly sql: Sql
  readonly relayId: string
  /** Statements that appended updates (one commit each); for tests and metrics. */
  readonly appendCommits: number
  readonly inbound: InboundStore
  /** Every directory and outbox record, for a copy to another store. */
  dumpDirectory(): Promise<DirectoryDump>
  /** Gives up every room claimed (postgres-room-log.ts): written again only once reloaded. */
  releaseClaims(): void
  /** Another relay changed the directory (members, access, sessions…): react to it. */
  onDirectoryChange(listener: (change: DirectoryChange) => void): () => void
}

/**
 * Rooms from this size (snapshot and log) have their snapshots built by the builder process, not
 * encoded on the event loop, where each compaction of a busy inbox held up every ack of the
 * relay's rooms (bench/README.md, "T2 and T1 on PostgreSQL, third look").
 */
export const POSTGRES_OFF_THREAD_SNAPSHOT_BYTES = 64 * 1024

/** Stores opened by this process: each has a directory of built frames of its own. */
let storesOpened = 0

/**
 * Half the lease: a transaction left idle from just after a heartbeat ends before the lease can
 * lapse, and a live relay never idles that long inside one (it stops serving sooner).
 */
export const idleInTransactionMs = (leaseMs: number): number => Math.floor(leaseMs / 2)

/**
 * Opens the store: refuses a server that would not keep a commit (fsync off), brings both parts'
 * tables up to date and loads the directory. The pool is the store's: `close()` ends it.
 */
export async function createPostgresStorage(
  options: PostgresStorageOptions,
): Promise<PostgresStorage> {
  const leaseMs = options.leaseMs ?? 5000
  // A relay stopped mid-transaction (SIGSTOP, a hung host) must not hold its row locks past its
  // lease: the relay taking its rooms over would wait on them (docs/scale-out.md).
  const sql = connectPostgres(options.url, {
    max: options.max ?? 10,
    idleInTransactionMs: idleInTransactionMs(leaseMs),
  })
  let directory: PostgresDirectory
  let inbound: InboundStore
  try {
    await assertDurableServer(sql)
    await migrateRoomLog(sql)
    await migrateLockouts(sql)
    inbound = await createPostgresInbound(sql, { relayId: options.relayId, leaseMs })
    directory = await createPostgresDirectory(sql, { instanceId: options.relayId })
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {})
    throw error
  }
  const builder = createSnapshotBuilder({
    databaseUrl: options.url,
    // Not the process: a relay started again clears what a build killed with it left there.
    key: `${options.relayId}:${options.url}:${storesOpened++}`,
  })
  const log = createPostgresRoomLog(sql, {
    relayId: options.relayId,
    leaseMs,
    ...(options.onFenced ? { onFenced: options.onFenced } : {}),
  })
  let closed = false
  /** `bindingLosses()` when each room was last loaded: losses before it cannot concern it. */
  const loadedAt = new Map<string, number>()
  const appendNow = (room: string, update: Uint8Array): Promise<number> =>
    // A client or device id this relay bound on its cache's word went to another member on
    // another relay first: what the room admitted since it was loaded may rest on it [M8].
    directory.bindingLostSince(room, loadedAt.get(room) ?? 0)
      ? Promise.reject(
          new StorageError(
            'conflict',
            `room ${room}: a client or device id was bound to another member by another relay first; the room reloads`,
          ),
        )
      : log.appendUpdate(room, update)
  return {
    ...directory,
    sql,
    relayId: options.relayId,
    inbound,
    takeRoom: (room) => log.take(room),
    peekRoom: (room) => log.peek(room),
    get appendCommits() {
      return log.appendCommits
    },
    // The index rows an update needs (its client's binding, its conversation and activity ids)
    // are committed before the update itself, as SQLite commits them in the same transaction.
    // With none queued the append is handed to the log at once, so a turn's appends are all
    // queued when the relay says the turn ended (`turnEnded`).
    appendUpdate: (room, update) =>
      directory.writesSettled()
        ? appendNow(room, update)
        : directory.whenDurable().then(() => appendNow(room, update)),
    turnEnded: () => log.turnEnded(),
    loadRoom: async (room) => {
      const losses = directory.bindingLosses()
      const stored = await log.loadRoom(room)
      loadedAt.set(room, losses)
      return stored
    },
    compact: (room, snapshot, upToId) => log.compact(room, snapshot, upToId),
    buildSnapshot: (room, upToId) => builder.build(room, upToId),
    offThreadSnapshotBytes: POSTGRES_OFF_THREAD_SNAPSHOT_BYTES,
    startEpoch: (room, epoch) => log.startEpoch(room, epoch),
    archive: (room, entries) => log.archive(room, entries),
    readArchive: (room, conversationId) => log.readArchive(room, conversationId),
    logSize: (room) => log.logSize(room),
    listRooms: () => log.listRooms(),
    releaseClaims: () => log.releaseClaims(),
    onDirectoryChange: (listener) => directory.onChange(listener),
    dumpDirectory: () => directory.dumpDirectory(),
    check() {
      if (closed) throw new Error('storage is closed')
      log.check()
    },
    async close() {
      if (closed) return
      closed = true
      await inbound.close().catch(() => {})
      await log.close().catch(() => {})
      await builder.close().catch(() => {})
      await directory.close().catch(() => {})
      await sql.end({ timeout: 5 })
    },
  }
}
