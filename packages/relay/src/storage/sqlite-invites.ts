/** @module The InviteStore on the SQLite store's main connection (see invite-store.ts). */
import type Database from 'better-sqlite3'
import type { MemberRole } from './directory.ts'
import type { InviteRecord, InviteStore } from './invite-store.ts'

export interface InviteRow {
  id: string
  token_hash: string
  email: string
  role: MemberRole
  phone_number_ids: string
  created_by: string | null
  created_at: number
  expires_at: number
  used_at: number | null
  used_by: string | null
  revoked_at: number | null
}

export const toInvite = (r: InviteRow | undefined): InviteRecord | null => {
  if (!r) return null
  const i: InviteRecord = {
    id: r.id,
    tokenHash: r.token_hash,
    email: r.email,
    role: r.role,
    phoneNumberIds: JSON.parse(r.phone_number_ids) as string[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  }
  if (r.used_at !== null) i.usedAt = r.used_at
  if (r.used_by !== null) i.usedBy = r.used_by
  if (r.revoked_at !== null) i.revokedAt = r.revoked_at
  return i
}

export function createSqliteInvites(db: Database.Database, ensureOpen: () => void): InviteStore {
  const q = {
    put: db.prepare(
      `INSERT OR REPLACE INTO invites (id, token_hash, email, role, phone_number_ids, created_by,
       created_at, expires_at, used_at, used_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE id = ?'),
    byHash: db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE token_hash = ?'),
    all: db.prepare<[], InviteRow>('SELECT * FROM invites ORDER BY created_at DESC, id DESC'),
    use: db.prepare(
      'UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
    ),
    revoke: db.prepare(
      'UPDATE invites SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
    ),
    seen: db.prepare(
      `INSERT INTO last_seen (member_id, at) VALUES (?, ?)
       ON CONFLICT (member_id) DO UPDATE SET at = max(at, excluded.at)`,
    ),
    allSeen: db.prepare<[], { member_id: string; at: number }>(
      'SELECT member_id, at FROM last_seen',
    ),
  }
  return {
    putInvite(i) {
      ensureOpen()
      q.put.run(
        i.id,
        i.tokenHash,
        i.email.toLowerCase(),
        i.role,
        JSON.stringify(i.phoneNumberIds),
        i.createdBy,
        i.createdAt,
        i.expiresAt,
        i.usedAt ?? null,
        i.usedBy ?? null,
        i.revokedAt ?? null,
      )
    },
    getInvite: (id) => toInvite(q.get.get(id)),
    getInviteByTokenHash: (hash) => toInvite(q.byHash.get(hash)),
    listInvites: () => q.all.all().map((r) => toInvite(r)!),
    useInvite(id, at, memberId) {
      ensureOpen()
      return q.use.run(at, memberId, id).changes > 0
    },
    revokeInvite(id, at) {
      ensureOpen()
      return q.revoke.run(at, id).changes > 0
    },
    setLastSeen(memberId, at) {
      ensureOpen()
      q.seen.run(memberId, at)
    },
    listLastSeen: () => new Map(q.allSeen.all().map((r) => [r.member_id, r.at])),
  }
}
