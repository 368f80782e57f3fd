/**
 * @module The room log on PostgreSQL (docs/scale-out.md, "The room log on PostgreSQL"): appends
 * committed in groups (postgres-log-appends.ts), each write fenced by the room's claim, every
 * blob checked against its CRC-32 as it is read. The pool (`sql`) belongs to the caller.
 */
import { crc32 } from 'node:zlib'
import { createLogAppender, fencedError, type CommitWrite } from './postgres-log-appends.ts'
import type { TransactionSql } from 'postgres'
import { isConnectionFailure, type Sql } from './postgres-connect.ts'
import { RoomLogSql } from './postgres-log-schema.ts'
import type { ArchivedEntry, RoomLog, StoredRoom } from './room-log.ts'
import { StorageError } from './storage-error.ts'

/** The lease of a relay's heartbeat when none is given (scale/relay-registry.ts's default). */
const DEFAULT_LEASE_MS = 5000

export interface PostgresRoomLogOptions {
  /** This relay's id, recorded as the owner of the rooms it claims. */
  relayId: string
  /** Called when a write of `room` was refused because another relay took it (a newer fence). */
  onFenced?: (room: string) => void
  /**
   * How long a relay's heartbeat keeps its rooms (ms, default 5000): a room whose owner renewed
   * within it is not claimed by loading it here.
   */
  leaseMs?: number
}

export interface PostgresRoomLog extends RoomLog {
  /** Statements that appended (one commit each); for tests and metrics. */
  readonly appendCommits: number
  /**
   * Runs `write` (another part's rows, e.g. the directory's index rows) in the transaction of the
   * next appends, before them; resolves once it is committed.
   */
  withNextCommit(write: CommitWrite): Promise<void>
  /** Sends the appends queued so far now (the relay handed over its turn's), not at the turn's end. */
  turnEnded(): void
  /**
   * Takes `room` from whichever relay holds it, live or not (a write that cannot be sent to the
   * owner yet, docs/scale-out.md "Conditional claims"); the next load here uses this fence.
   */
  take(room: string): Promise<void>
  /** The room as stored, read without claiming it (a read for another relay's room). */
  peek(room: string): Promise<StoredRoom>
  /**
   * Gives up every room this store claimed (a lost lease, a drain): their writes are refused
   * here, before any reaches PostgreSQL, until a load claims the room again with a new fence.
   */
  releaseClaims(): void
  /** Throws if the store is closed or its last statement failed to reach PostgreSQL. */
  check(): void
  /** Commits what is queued and stops accepting writes; the pool stays open (the caller's). */
  close(): Promise<void>
}

/**
 * Takes `room` for `relayId` with a new fence, so every write under an older one is refused;
 * returns the fence, or null when another relay owns the room and renewed its heartbeat within
 * `leaseMs` (docs/scale-out.md "Conditional claims"). `force` takes it all the same.
 */
export async function claimRoom(
  sql: Sql,
  room: string,
  relayId: string,
  leaseMs: number,
  force = false,
): Promise<string | null> {
  const [row] = await (force
    ? sql.unsafe<{ fence: string }[]>(RoomLogSql.take, [room, relayId], { prepare: true })
    : sql.unsafe<{ fence: string }[]>(RoomLogSql.claim, [room, relayId, leaseMs], {
        prepare: true,
      }))
  return row?.fence ?? null
}

/** A load refused because another live relay owns the room: served (and written) there. */
export const ownedElsewhereError = (room: string) =>
  new StorageError(
    'owned',
    `room ${room} is owned by another relay whose lease is alive: its writes go there`,
  )

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength)
const checksum = (data: Uint8Array) => crc32(data) | 0

interface LoadRow {
  kind: number
  seq: string
  data: Buffer
  crc: number
  epoch_id: string | null
  retired: string | null
}

export function createPostgresRoomLog(sql: Sql, options: PostgresRoomLogOptions): PostgresRoomLog {
  let closed = false
  /** The last failure to reach PostgreSQL, cleared by the next statement that returns. */
  let unreachable: unknown = null
  /** The fence of each room this store claimed (a promise while the claim is under way). */
  const fences = new Map<string, string | Promise<string | null>>()
  /** Rooms taken by another relay: refused until loaded (claimed) again. */
  const lost = new Set<string>()

  const outcome = (error: unknown) => {
    if (error === null) unreachable = null
    else if (isConnectionFailure(error)) unreachable = error
  }
  const query = async <T>(text: string, params: unknown[]): Promise<T> => {
    if (closed) throw new StorageError('closed', 'storage is closed')
    try {
      const rows = (await sql.unsafe(text, params as never[], { prepare: true })) as T
      outcome(null)
      return rows
    } catch (cause) {
      outcome(cause)
      throw new StorageError('io', 'a room log statement failed', { cause })
    }
  }
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  /** Claims `room` (null: a live relay owns it, and it counts as lost here until loaded again). */
  const claim = (room: string, force = false): Promise<string | null> => {
    lost.delete(room)
    const claiming = claimRoom(sql, room, options.relayId, leaseMs, force).then(
      (fence) => {
        outcome(null)
        if (fences.get(room) === claiming) {
          if (fence === null) {
            fences.delete(room)
            lost.add(room)
          } else fences.set(room, fence)
        }
        return fence
      },
      (cause: unknown) => {
        outcome(cause)
        if (fences.get(room) === claiming) fences.delete(room)
        throw new StorageError('io', `cannot claim room ${room}`, { cause })
      },
    )
    fences.set(room, claiming)
    return claiming
  }
  /** The room's fence, claiming it the first time; null once another relay took it. */
  const fenceOf = (room: string) => (lost.has(room) ? null : (fences.get(room) ?? claim(room)))
  /** `fence` was refused: the room is lost, unless it was claimed again since. */
  const fenced = (room: string, fence: string) => {
    if (lost.has(room) || fences.get(room) !== fence) return
    lost.add(room)
    fences.delete(room)
    options.onFenced?.(room)
  }
  /** The fence for a write other than an append; rejects (and reports) a room taken away. */
  const heldFence = async (room: string) => {
    const fence = await fenceOf(room)
    if (fence === null) throw fencedError(room)
    return fence
  }

  const appender = createLogAppender({ sql, fenceOf, fenced, outcome })
  const ensureOpen = () => {
    if (closed) throw new StorageError('closed', 'storage is closed')
  }

  const writeArchive = (tx: Sql | TransactionSql, room: string, entries: ArchivedEntry[]) =>
    tx.unsafe(
      RoomLogSql.putArchive,
      [
        room,
        entries.map((e) => e.conversationId),
        entries.map((e) => e.key),
        entries.map((e) => e.data),
      ] as never[],
      { prepare: true },
    )

  /** The room's snapshot and log, each blob checked against its CRC-32. */
  const read = async (room: string): Promise<StoredRoom> => {
    const rows = await query<LoadRow[]>(RoomLogSql.load, [room])
    const stored: StoredRoom = { snapshot: null, updates: [] }
    for (const row of rows) {
      if (checksum(row.data) !== row.crc) {
        const what = row.kind === 0 ? 'the snapshot' : `update ${row.seq}`
        throw new StorageError('unreadable', `room ${room}: ${what} fails its checksum`)
      }
      if (row.kind === 1) {
        stored.updates.push({ id: Number(row.seq), data: bytes(row.data) })
        continue
      }
      stored.snapshot = bytes(row.data)
      if (row.epoch_id !== null) {
        let retired: number[]
        try {
          retired = JSON.parse(row.retired ?? '[]') as number[]
        } catch (cause) {
          throw new StorageError('unreadable', `room ${room}: the epoch record is damaged`, {
            cause,
          })
        }
        stored.epoch = { id: row.epoch_id, retired }
      }
    }
    return stored
  }

  return {
    get appendCommits() {
      return appender.appendCommits
    },
    appendUpdate(room, data) {
      if (closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
      return appender.append(room, data)
    },
    turnEnded: () => appender.flushNow(),
    withNextCommit(write) {
      if (closed) return Promise.reject(new StorageError('closed', 'storage is closed'))
      return appender.withNextCommit(write)
    },
    async loadRoom(room) {
      ensureOpen()
      // The first load claims the room: after that, no other relay's append can land unseen.
      const fence = await (fences.has(room) && !lost.has(room) ? fences.get(room) : claim(room))
      if (fence === null) throw ownedElsewhereError(room)
      return read(room)
    },
    async compact(room, snapshot, upToId) {
      ensureOpen()
      const fence = await heldFence(room)
      const [row] = await query<{ held: number }[]>(RoomLogSql.compact, [
        room,
        fence,
        asBuffer(snapshot),
        checksum(snapshot),
        upToId,
      ])
      if (row?.held !== 1) {
        fenced(room, fence)
        throw fencedError(room)
      }
    },
    async startEpoch(room, epoch) {
      ensureOpen()
      const fence = await heldFence(room)
      let held = true
      try {
        await sql.begin(async (tx) => {
          const rows = await tx.unsafe(RoomLogSql.fenceHeld, [room, fence], { prepare: true })
          if (rows.length === 0) {
            held = false
            return
          }
          await tx.unsafe(
            RoomLogSql.putEpochSnapshot,
            [
              room,
              asBuffer(epoch.snapshot),
              checksum(epoch.snapshot),
              epoch.upToId,
              epoch.id,
              JSON.stringify(epoch.retired),
            ] as never[],
            { prepare: true },
          )
          await tx.unsafe(RoomLogSql.dropLog, [room, epoch.upToId], { prepare: true })
          if (epoch.archive.length > 0) await writeArchive(tx, room, epoch.archive)
        })
        outcome(null)
      } catch (cause) {
        outcome(cause)
        throw new StorageError('io', `cannot start a new epoch of room ${room}`, { cause })
      }
      if (!held) {
        fenced(room, fence)
        throw fencedError(room)
      }
    },
    async archive(room, entries) {
      ensureOpen()
      if (entries.length === 0) return
      try {
        await writeArchive(sql, room, entries)
        outcome(null)
      } catch (cause) {
        outcome(cause)
        throw new StorageError('io', `cannot archive entries of room ${room}`, { cause })
      }
    },
    async readArchive(room, conversationId) {
      const rows = await (conversationId === undefined
        ? query<{ conversation_id: string; key: string; data: string }[]>(RoomLogSql.archiveAll, [
            room,
          ])
        : query<{ conversation_id: string; key: string; data: string }[]>(RoomLogSql.archiveOf, [
            room,
            conversationId,
          ]))
      return rows.map((r): ArchivedEntry => ({
        conversationId: r.conversation_id,
        key: r.key,
        data: r.data,
      }))
    },
    async logSize(room) {
      const [row] = await query<{ count: number; bytes: string }[]>(RoomLogSql.logSize, [room])
      return { count: row?.count ?? 0, bytes: Number(row?.bytes ?? 0) }
    },
    async listRooms() {
      const rows = await query<{ room: string }[]>(RoomLogSql.rooms, [])
      return rows.map((r) => r.room)
    },
    peek(room) {
      ensureOpen()
      return read(room)
    },
    async take(room) {
      ensureOpen()
      await claim(room, true)
    },
    releaseClaims() {
      for (const room of fences.keys()) lost.add(room)
      fences.clear()
    },
    check() {
      ensureOpen()
      if (unreachable === null) return
      // Asks again, so the next check reports a server that came back.
      query('select 1', []).catch(() => {})
      throw new StorageError('io', 'PostgreSQL cannot be reached', { cause: unreachable })
    },
    async close() {
      if (closed) return
      await appender.drain()
      closed = true
    },
  }
}
