/**
 * @module The directory and the outbox on PostgreSQL (issue 25; docs/scale-out.md "The directory
 * on PostgreSQL"). The interfaces are synchronous (directory.ts says why), so the whole directory
 * is cached in memory: read at start, answered from memory, written through in call order
 * (postgres-write-queue.ts), and refreshed when another relay sharing the database announces a
 * change (postgres-directory-notify.ts) or when the connection comes back after an outage.
 */
import { randomUUID } from 'node:crypto'
import type { Directory } from './directory.ts'
import type { Outbox } from './outbox.ts'
import type { DirectoryDump } from './directory-dump.ts'
import { dumpDirectoryRows } from './postgres-directory-dump.ts'
import type { Sql } from './postgres-connect.ts'
import { loadTables, type ChangedRows, type Watermarks } from './postgres-directory-loader.ts'
import {
  createAnnouncer,
  listenForChanges,
  type DirectoryNotice,
} from './postgres-directory-notify.ts'
import { migrateDirectory } from './postgres-directory-schema.ts'
import { createDirectoryState, Table, tables } from './postgres-directory-state.ts'
import { createPostgresIndex } from './postgres-index.ts'
import { createPostgresInvites, createPostgresRules } from './postgres-invites-rules.ts'
import { createPostgresNumbers } from './postgres-numbers.ts'
import { createPostgresOutbox } from './postgres-outbox.ts'
import { createPostgresSessions } from './postgres-sessions.ts'
import {
  ANY_ROOM,
  createWriteQueue,
  type GroupOutcome,
  type Write,
} from './postgres-write-queue.ts'
import { StorageError } from './storage-error.ts'

/** The parts of the directory a change names. */
export const DirectoryPart = {
  Members: 'members',
  Sessions: 'sessions',
  PhoneNumbers: 'phone-numbers',
  Access: 'access',
  Index: 'index',
  Meta: 'meta',
  Invites: 'invites',
  LastSeen: 'last-seen',
  Rules: 'rules',
  Outbox: 'outbox',
} as const
export type DirectoryPart = (typeof DirectoryPart)[keyof typeof DirectoryPart]

const partOf: Record<Table, DirectoryPart> = {
  members: 'members',
  sessions: 'sessions',
  phone_numbers: 'phone-numbers',
  phone_number_credentials: 'phone-numbers',
  access: 'access',
  conversations: 'index',
  activities: 'index',
  client_owners: 'index',
  device_owners: 'index',
  provider_calls: 'index',
  meta: 'meta',
  invites: 'invites',
  last_seen: 'last-seen',
  triage_rules: 'rules',
  outbox: 'outbox',
}

/** What this relay learned from the store that it did not write itself. */
export interface DirectoryChange {
  parts: DirectoryPart[]
  /** Members whose record, sessions or access changed (to recheck their sockets). */
  members: string[]
  /** The whole directory was read again (at a reconnection, after an outage). */
  reloaded: boolean
}

export interface PostgresDirectoryOptions {
  /** Names this relay in its notifications (default: a random id). */
  instanceId?: string
  /** Least time between two notifications of this relay (ms, default 50). */
  notifyIntervalMs?: number
  /** First wait before reading the store again after a failed commit (ms, default 100). */
  retryMs?: number
}

export interface PostgresDirectory extends Directory, Outbox {
  /** True when no directory write is queued or being committed (see `whenDurable`). */
  writesSettled(): boolean
  /** Calls `listener` after each change another relay made (or a reload) reached the cache. */
  onChange(listener: (change: DirectoryChange) => void): () => void
  /**
   * Moves on each time a client or device binding lost its race to another relay (the cache had
   * said it was free); see `bindingLostSince`.
   */
  bindingLosses(): number
  /**
   * True when, since `losses` (a `bindingLosses()` reading), a binding that `room`'s updates may
   * rely on was lost: an update admitted on the cache's word then must not be stored [M8].
   */
  bindingLostSince(room: string, losses: number): boolean
  /** Every record, once what is queued is committed (a copy to another store). */
  dumpDirectory(): Promise<DirectoryDump>
  /** Commits what is queued, announces it, and stops listening; the pool stays the caller's. */
  close(): Promise<void>
}

export async function createPostgresDirectory(
  sql: Sql,
  options: PostgresDirectoryOptions = {},
): Promise<PostgresDirectory> {
  await migrateDirectory(sql)
  const self = options.instanceId ?? randomUUID()
  const state = createDirectoryState()
  const watermarks: Watermarks = new Map()
  const listeners = new Set<(change: DirectoryChange) => void>()
  let numbersRevision = 0
  let rulesRevision = 0
  let closed = false

  const emit = (changed: ChangedRows, reloaded: boolean) => {
    const has = (...t: Table[]) => t.some((x) => changed.has(x))
    if (has(Table.PhoneNumbers, Table.Credentials)) numbersRevision++
    if (has(Table.Rules)) rulesRevision++
    if (changed.size === 0 && !reloaded) return
    const members = new Set<string>(changed.get(Table.Members) ?? [])
    for (const id of changed.get(Table.Sessions) ?? []) {
      const s = state.rows.sessions.get(id)
      if (s) members.add(s.memberId)
    }
    for (const key of changed.get(Table.Access) ?? []) members.add(key.split('\0')[0]!)
    const parts = new Set(
      reloaded ? tables.map((t) => partOf[t]) : [...changed.keys()].map((t) => partOf[t]),
    )
    const change: DirectoryChange = { parts: [...parts], members: [...members], reloaded }
    for (const listener of listeners) listener(change)
  }
  const reloadAll = async () => emit(await loadTables(sql, state, watermarks, tables, 'all'), true)

  const announcer = createAnnouncer(sql, self, options.notifyIntervalMs ?? 50)
  let losses = 0
  /** The `losses` count when a binding guarding each room (or any room) was last lost. */
  const lostAt = new Map<string, number>()
  const queue = createWriteQueue({
    lost: (writes) => {
      for (const w of writes) if (w.guards !== undefined) lostAt.set(w.guards, ++losses)
    },
    sql,
    state,
    reloadAll,
    committed: (changed, whole) => announcer.announce(changed, whole),
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
  })

  // Tables other relays announced, read in one go by the next read in the queue.
  const toRead = new Set<Table>()
  const toReadWhole = new Set<Table>()
  let readQueued = false
  const heard = (notice: DirectoryNotice) => {
    for (const t of notice.tables) toRead.add(t)
    for (const t of notice.whole) toReadWhole.add(t)
    if (readQueued) return
    readQueued = true
    queue
      .task(async () => {
        readQueued = false
        const read = [...toRead]
        const whole = new Set(toReadWhole)
        toRead.clear()
        toReadWhole.clear()
        emit(await loadTables(sql, state, watermarks, read, whole), false)
      })
      // A failed read marks the cache stale: the queue reads everything again.
      .catch(() => {})
  }
  const reconnected = () => void queue.task(reloadAll).catch(() => {})

  // Listen before the first read, so a change committed in between is heard.
  const listening = await listenForChanges(sql, self, heard, reconnected)
  try {
    await queue.task(reloadAll)
  } catch (error) {
    queue.close()
    announcer.close()
    await listening.unlisten().catch(() => {})
    throw error
  }

  const ensureOpen = () => {
    if (closed) throw new StorageError('closed', 'storage is closed')
  }
  let group: Write[] | null = null
  const write = (w: Write) => {
    state.hold(w.refs)
    if (group) group.push(w)
    else void queue.push([w])
  }
  /** Runs `fn` as one group of writes; the outermost call queues it. */
  function inGroup<T>(fn: () => T): { result: T; done: Promise<GroupOutcome> | null } {
    const outer = group === null
    const writes = (group ??= [])
    const length = writes.length
    const mark = state.begin()
    let result: T
    try {
      result = fn()
    } catch (error) {
      state.undo(mark)
      for (const w of writes.splice(length)) state.release(w.refs)
      if (outer) group = null
      throw error
    }
    state.keep()
    if (!outer) return { result, done: null }
    group = null
    return { result, done: writes.length > 0 ? queue.push(writes) : null }
  }

  const context = { state, ensureOpen, write }
  return {
    ...createPostgresSessions(context),
    ...createPostgresNumbers(context, () => void numbersRevision++),
    ...createPostgresIndex(context),
    ...createPostgresInvites(context),
    ...createPostgresRules(
      context,
      () => void rulesRevision++,
      () => rulesRevision,
    ),
    ...createPostgresOutbox(context),
    phoneNumbersRevision: () => numbersRevision,
    transaction: (fn) => inGroup(fn).result,
    whenDurable: () => queue.whenDurable(),
    writesSettled: () => queue.settled(),
    async durably(fn) {
      if (group !== null) throw new Error('durably() cannot run inside a transaction')
      const { result, done } = inGroup(fn)
      if ((await done) === 'conflict')
        throw new StorageError('conflict', 'another relay decided first; nothing was written')
      return result
    },
    bindingLosses: () => losses,
    bindingLostSince: (room, since) =>
      (lostAt.get(room) ?? 0) > since || (lostAt.get(ANY_ROOM) ?? 0) > since,
    async dumpDirectory() {
      ensureOpen()
      await queue.whenDurable()
      return dumpDirectoryRows(state.rows)
    },
    onChange(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async close() {
      if (closed) return
      closed = true
      await queue.whenDurable().catch(() => {})
      await announcer.flush().catch(() => {})
      announcer.close()
      queue.close()
      await listening.unlisten().catch(() => {})
    },
  }
}
