/**
 * @module The PostgreSQL directory's cache: every row of its tables in memory, the way writes
 * change it (each change can be undone while a transaction's function is running, as SQLite
 * rolls back a transaction that throws), and the keys of rows whose writes are not committed yet
 * (a reload from the store leaves those alone: the cache is ahead of the store there).
 */
import type { TriageRule } from '@switchboard/core'
import type {
  MemberRecord,
  PhoneNumberRecord,
  ProviderCallRecord,
  SessionRecord,
} from './directory.ts'
import type { InviteRecord } from './invite-store.ts'
import type { OutboxRow } from './outbox.ts'

/** The directory's tables, as PostgreSQL names them. */
export const Table = {
  Members: 'members',
  Sessions: 'sessions',
  PhoneNumbers: 'phone_numbers',
  Credentials: 'phone_number_credentials',
  Access: 'access',
  Conversations: 'conversations',
  Activities: 'activities',
  ClientOwners: 'client_owners',
  DeviceOwners: 'device_owners',
  ProviderCalls: 'provider_calls',
  Meta: 'meta',
  Invites: 'invites',
  LastSeen: 'last_seen',
  Rules: 'triage_rules',
  Outbox: 'outbox',
} as const
export type Table = (typeof Table)[keyof typeof Table]
export const tables: readonly Table[] = Object.values(Table)

/** An outbox row and where it stands in the order of enqueueing. */
export interface HeldOutboxRow {
  row: OutboxRow
  order: number
  queuedAt: number
}

/** A cached row of each table, by its key (`keyOf` in postgres-directory-tables.ts). */
export interface DirectoryRows {
  members: Map<string, MemberRecord>
  sessions: Map<string, SessionRecord>
  phone_numbers: Map<string, PhoneNumberRecord & { position: number }>
  phone_number_credentials: Map<string, string>
  access: Map<string, { memberId: string; phoneNumberId: string }>
  conversations: Map<string, string>
  activities: Map<string, true>
  client_owners: Map<string, string>
  device_owners: Map<string, string>
  provider_calls: Map<string, ProviderCallRecord>
  meta: Map<string, string>
  invites: Map<string, InviteRecord>
  last_seen: Map<string, number>
  triage_rules: Map<string, TriageRule>
  outbox: Map<string, HeldOutboxRow>
}

export type RowOf<T extends Table> = DirectoryRows[T] extends Map<string, infer V> ? V : never

export const emptyRows = (): DirectoryRows => ({
  members: new Map(),
  sessions: new Map(),
  phone_numbers: new Map(),
  phone_number_credentials: new Map(),
  access: new Map(),
  conversations: new Map(),
  activities: new Map(),
  client_owners: new Map(),
  device_owners: new Map(),
  provider_calls: new Map(),
  meta: new Map(),
  invites: new Map(),
  last_seen: new Map(),
  triage_rules: new Map(),
  outbox: new Map(),
})

/** The key of a row made of several columns (`room`, `client`): its parts joined by NUL. */
export const compositeKey = (...parts: (string | number)[]) => parts.join('\0')

/** A qualified key: which table, which row. */
export const rowRef = (table: Table, key: string) => `${table}\0${key}`

export interface DirectoryState {
  rows: DirectoryRows
  /** Member id by lower-case email, and invite id by token hash: the unique columns. */
  memberByEmail: Map<string, string>
  inviteByHash: Map<string, string>
  /** Sets a row, undoably while a transaction's function runs. */
  set<T extends Table>(table: T, key: string, value: RowOf<T>): void
  /** Removes a row, undoably; true when there was one. */
  remove(table: Table, key: string): boolean
  /** Opens an undo journal (nested in any open one); returns its mark, to `undo` back to. */
  begin(): number
  undo(mark: number): void
  /** Closes the innermost journal, keeping its changes. */
  keep(): void
  /** Whether a write of this row is queued and not settled. */
  isPending(table: Table, key: string): boolean
  hold(refs: readonly string[]): void
  release(refs: readonly string[]): void
}

export function createDirectoryState(): DirectoryState {
  const rows = emptyRows()
  const memberByEmail = new Map<string, string>()
  const inviteByHash = new Map<string, string>()
  const journal: (() => void)[] = []
  let journalOpen = 0
  const pending = new Map<string, number>()

  // The unique columns' maps follow their rows.
  const index = (table: Table, value: unknown, add: boolean) => {
    if (table === Table.Members) {
      const m = value as MemberRecord
      if (add) memberByEmail.set(m.email, m.id)
      else if (memberByEmail.get(m.email) === m.id) memberByEmail.delete(m.email)
    } else if (table === Table.Invites) {
      const i = value as InviteRecord
      if (add) inviteByHash.set(i.tokenHash, i.id)
      else if (inviteByHash.get(i.tokenHash) === i.id) inviteByHash.delete(i.tokenHash)
    }
  }
  const raw = (table: Table) => rows[table] as Map<string, unknown>
  const put = (table: Table, key: string, value: unknown) => {
    const map = raw(table)
    const before = map.get(key)
    if (before !== undefined) index(table, before, false)
    map.set(key, value)
    index(table, value, true)
    return before
  }
  const drop = (table: Table, key: string) => {
    const map = raw(table)
    const before = map.get(key)
    if (before === undefined) return undefined
    index(table, before, false)
    map.delete(key)
    return before
  }
  const restore = (table: Table, key: string, before: unknown) => {
    if (before === undefined) drop(table, key)
    else put(table, key, before)
  }

  return {
    rows,
    memberByEmail,
    inviteByHash,
    set(table, key, value) {
      const before = put(table, key, value)
      if (journalOpen > 0) journal.push(() => restore(table, key, before))
    },
    remove(table, key) {
      const before = drop(table, key)
      if (before !== undefined && journalOpen > 0) journal.push(() => restore(table, key, before))
      return before !== undefined
    },
    begin() {
      journalOpen++
      return journal.length
    },
    undo(mark) {
      while (journal.length > mark) journal.pop()!()
      journalOpen--
    },
    keep() {
      journalOpen--
      if (journalOpen === 0) journal.length = 0
    },
    isPending: (table, key) => pending.has(rowRef(table, key)),
    hold(refs) {
      for (const ref of refs) pending.set(ref, (pending.get(ref) ?? 0) + 1)
    },
    release(refs) {
      for (const ref of refs) {
        const n = (pending.get(ref) ?? 0) - 1
        if (n > 0) pending.set(ref, n)
        else pending.delete(ref)
      }
    },
  }
}
