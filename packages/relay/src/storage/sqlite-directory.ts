/** @module The Directory on the SQLite store's main connection (see directory.ts). */
import type Database from 'better-sqlite3'
import type { ProviderName } from '../providers/provider-account.ts'
import type {
  Directory,
  MemberRecord,
  PhoneNumberRecord,
  ProviderCallRecord,
  SessionRecord,
} from './directory.ts'
import type { IndexRow, IndexSink } from './index-rows.ts'
import { createSqliteInvites } from './sqlite-invites.ts'
import { createSqliteRules } from './sqlite-rules.ts'

export interface PhoneNumberRow {
  id: string
  name: string
  number: string
  provider: ProviderName | null
}

export const toPhoneNumber = (r: PhoneNumberRow | undefined): PhoneNumberRecord | null => {
  if (!r) return null
  const pn: PhoneNumberRecord = { id: r.id, name: r.name, number: r.number }
  if (r.provider !== null) pn.provider = r.provider
  return pn
}

export interface MemberRow {
  id: string
  email: string
  name: string
  role: MemberRecord['role']
  password_hash: string
  created_at: number
  deactivated_at: number | null
}

export interface SessionRow {
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

export const toSession = (r: SessionRow | undefined): SessionRecord | null => {
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

export const toMember = (r: MemberRow | undefined): MemberRecord | null => {
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

/**
 * The directory's statements on `db`; every write first checks the store is open. Index rows go
 * with the room log's next commit through `index` (index-rows.ts), seen at once by this
 * directory's reads and durable by `whenDurable()`.
 */
export function createSqliteDirectory(
  db: Database.Database,
  ensureOpen: () => void,
  index: IndexSink,
): Directory {
  const q = {
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
    phoneNumber: db.prepare<[string], PhoneNumberRow>(
      'SELECT id, name, number, provider FROM phone_numbers WHERE id = ?',
    ),
    phoneNumbers: db.prepare<[], PhoneNumberRow>(
      'SELECT id, name, number, provider FROM phone_numbers ORDER BY rowid',
    ),
    putPhoneNumber: db.prepare(
      'INSERT INTO phone_numbers (id, name, number, provider) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, number = excluded.number, provider = excluded.provider',
    ),
    sealedCredentials: db.prepare<[string], { sealed: string }>(
      'SELECT sealed FROM phone_number_credentials WHERE phone_number_id = ?',
    ),
    putSealedCredentials: db.prepare(
      'INSERT INTO phone_number_credentials (phone_number_id, sealed) VALUES (?, ?) ON CONFLICT (phone_number_id) DO UPDATE SET sealed = excluded.sealed',
    ),
    dropPhoneNumber: db.prepare('DELETE FROM phone_numbers WHERE id = ?'),
    dropCredentials: db.prepare('DELETE FROM phone_number_credentials WHERE phone_number_id = ?'),
    dropAccessTo: db.prepare<[string], { member_id: string }>(
      'DELETE FROM access WHERE phone_number_id = ? RETURNING member_id',
    ),
    grant: db.prepare('INSERT OR IGNORE INTO access (member_id, phone_number_id) VALUES (?, ?)'),
    revoke: db.prepare('DELETE FROM access WHERE member_id = ? AND phone_number_id = ?'),
    access: db.prepare<[string], { phone_number_id: string }>(
      'SELECT phone_number_id FROM access WHERE member_id = ? ORDER BY phone_number_id',
    ),
    conversation: db.prepare<[string], { phone_number_id: string }>(
      'SELECT phone_number_id FROM conversations WHERE id = ?',
    ),
    hasActivity: db.prepare<[string], { id: string }>('SELECT id FROM activities WHERE id = ?'),
    clientOwner: db.prepare<[string, number], { member_id: string }>(
      'SELECT member_id FROM client_owners WHERE room = ? AND client = ?',
    ),
    deviceOwner: db.prepare<[string], { member_id: string }>(
      'SELECT member_id FROM device_owners WHERE device_id = ?',
    ),
    bindDevice: db.prepare(
      'INSERT OR IGNORE INTO device_owners (device_id, member_id) VALUES (?, ?)',
    ),
    providerCall: db.prepare<
      [string],
      { phone_number_id: string; conversation_id: string; activity_id: string }
    >(
      'SELECT phone_number_id, conversation_id, activity_id FROM provider_calls WHERE call_key = ?',
    ),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  }

  // Rows queued for a commit, by key, until it returns: reads see them meanwhile.
  const pending = new Map<string, string>()
  let lastQueued: Promise<void> = Promise.resolve()
  const rowKey = (row: IndexRow) =>
    row.kind === 'client'
      ? `b\0${row.room}\0${row.client}`
      : row.kind === 'call'
        ? `p\0${row.callKey}`
        : `${row.kind[0]}\0${row.id}`
  const queueRow = (row: IndexRow, value: string) => {
    const key = rowKey(row)
    pending.set(key, value)
    const forget = () => {
      if (pending.get(key) === value) pending.delete(key)
    }
    const stored = index(row)
    lastQueued = stored.then(forget, (error: unknown) => {
      forget()
      throw error
    })
    // A failed commit reaches whoever awaits whenDurable(); the row is simply not stored.
    lastQueued.catch(() => {})
  }
  const conversationPhoneNumber = (id: string) =>
    pending.get(`c\0${id}`) ?? q.conversation.get(id)?.phone_number_id ?? null
  const hasActivity = (id: string) => pending.has(`a\0${id}`) || q.hasActivity.get(id) !== undefined
  let phoneNumbersRevision = 0
  const clientOwner = (room: string, client: number) =>
    pending.get(`b\0${room}\0${client}`) ?? q.clientOwner.get(room, client)?.member_id ?? null

  return {
    ...createSqliteInvites(db, ensureOpen),
    ...createSqliteRules(db, ensureOpen),
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
    getPhoneNumber: (id) => toPhoneNumber(q.phoneNumber.get(id)),
    listPhoneNumbers: () => q.phoneNumbers.all().map((r) => toPhoneNumber(r)!),
    putPhoneNumber(pn) {
      ensureOpen()
      phoneNumbersRevision++
      q.putPhoneNumber.run(pn.id, pn.name, pn.number, pn.provider ?? null)
    },
    getSealedCredentials: (id) => q.sealedCredentials.get(id)?.sealed ?? null,
    putSealedCredentials(id, sealed) {
      ensureOpen()
      phoneNumbersRevision++
      q.putSealedCredentials.run(id, sealed)
    },
    removePhoneNumber(id) {
      ensureOpen()
      phoneNumbersRevision++
      return db
        .transaction(() => {
          q.dropPhoneNumber.run(id)
          q.dropCredentials.run(id)
          return q.dropAccessTo
            .all(id)
            .map((r) => r.member_id)
            .sort()
        })
        .immediate()
    },
    phoneNumbersRevision: () => phoneNumbersRevision,
    grantAccess(memberId, phoneNumberId) {
      ensureOpen()
      q.grant.run(memberId, phoneNumberId)
    },
    revokeAccess(memberId, phoneNumberId) {
      ensureOpen()
      q.revoke.run(memberId, phoneNumberId)
    },
    listAccess: (memberId) => q.access.all(memberId).map((r) => r.phone_number_id),
    getConversationPhoneNumber: conversationPhoneNumber,
    setConversationPhoneNumber(id, pn) {
      ensureOpen()
      if (conversationPhoneNumber(id) === null)
        queueRow({ kind: 'conversation', id, phoneNumberId: pn }, pn)
    },
    recordActivity(id) {
      ensureOpen()
      if (hasActivity(id)) return false
      queueRow({ kind: 'activity', id }, '')
      return true
    },
    hasActivity,
    getProviderCall(callKey) {
      const queued = pending.get(`p\0${callKey}`)
      if (queued !== undefined) return JSON.parse(queued) as ProviderCallRecord
      const row = q.providerCall.get(callKey)
      return row
        ? {
            callKey,
            phoneNumberId: row.phone_number_id,
            conversationId: row.conversation_id,
            activityId: row.activity_id,
          }
        : null
    },
    putProviderCall(call) {
      ensureOpen()
      if (pending.has(`p\0${call.callKey}`) || q.providerCall.get(call.callKey)) return
      const record: ProviderCallRecord = { ...call }
      queueRow({ kind: 'call', ...record }, JSON.stringify(record))
    },
    // IMMEDIATE: the writer thread commits on its own connection at any moment, and a transaction
    // that read before such a commit is refused at once when it then writes ("database is
    // locked", no busy wait); taking the write lock first makes it wait its turn instead.
    transaction: (fn) => db.transaction(fn).immediate(),
    whenDurable: () => lastQueued,
    async durably(fn) {
      const result = db.transaction(fn).immediate()
      await lastQueued
      return result
    },
    getClientOwner: clientOwner,
    bindClient(room, client, memberId) {
      ensureOpen()
      if (clientOwner(room, client) !== null) return false
      queueRow({ kind: 'client', room, client, memberId }, memberId)
      return true
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
  }
}
