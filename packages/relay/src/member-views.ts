/** @module A member or session as each audience sees it: no password hash, no token, ever. */
import type { MemberRecord, SessionRecord } from './storage/relay-storage.ts'

/** A session as the admin API lists it (no secrets). */
export interface SessionView {
  id: string
  createdAt: number
  expiresAt: number
  refreshedAt: number
  endedAt: number | null
  endReason: string | null
  userAgent: string | null
  ip: string | null
}

/** A member as other members and the member themself see them. */
export const publicMember = (m: MemberRecord) => ({
  id: m.id,
  email: m.email,
  name: m.name,
  role: m.role,
})

/** The workspace document's record: a removed member stays, marked, so history keeps a name. */
export const workspaceMember = (m: MemberRecord) =>
  m.deactivatedAt === undefined ? publicMember(m) : { ...publicMember(m), deactivated: true }

/** A member as the admin API lists them. */
export const adminMember = (m: MemberRecord) => ({
  ...publicMember(m),
  createdAt: m.createdAt,
  deactivatedAt: m.deactivatedAt ?? null,
})

export const sessionView = (s: SessionRecord): SessionView => ({
  id: s.id,
  createdAt: s.createdAt,
  expiresAt: s.expiresAt,
  refreshedAt: s.refreshedAt,
  endedAt: s.endedAt ?? null,
  endReason: s.endReason ?? null,
  userAgent: s.userAgent ?? null,
  ip: s.ip ?? null,
})

/** What member, phone number and conversation ids look like. */
export const ID_RE = /^[A-Za-z0-9_.+\-~]{1,128}$/
