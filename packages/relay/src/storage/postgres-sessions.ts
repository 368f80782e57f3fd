/**
 * @module Members and sessions of the PostgreSQL directory: answered from the cache, written
 * through. Rotating a refresh token and ending a session are conditional in SQL too, so of two
 * relays deciding at once only one wins (`durably` tells the other).
 */
import type { Directory, MemberRecord, SessionRecord } from './directory.ts'
import { rowRef, Table } from './postgres-directory-state.ts'
import type { WriteContext } from './postgres-write-queue.ts'

type MemberMethods = Pick<
  Directory,
  | 'getMember'
  | 'getMemberByEmail'
  | 'listMembers'
  | 'putMember'
  | 'putSession'
  | 'getSession'
  | 'listSessions'
  | 'rotateSession'
  | 'endSession'
  | 'endSessions'
  | 'pruneSessions'
>

const copySession = (s: SessionRecord | undefined) => (s ? { ...s } : null)

export function createPostgresSessions({ state, ensureOpen, write }: WriteContext): MemberMethods {
  const { members, sessions } = state.rows
  const member = (id: string | undefined) => {
    const m = id === undefined ? undefined : members.get(id)
    return m ? { ...m } : null
  }
  const sessionWrite = (ids: string[], conditional: boolean) => ({
    refs: ids.map((id) => rowRef(Table.Sessions, id)),
    tables: [Table.Sessions],
    conditional,
  })

  return {
    getMember: (id) => member(id),
    getMemberByEmail: (email) => member(state.memberByEmail.get(email.toLowerCase())),
    listMembers: () =>
      [...members.values()]
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
        .map((m) => ({ ...m })),
    putMember(m) {
      ensureOpen()
      const email = m.email.toLowerCase()
      const holder = state.memberByEmail.get(email)
      if (holder !== undefined && holder !== m.id)
        throw new Error(`members.email: ${email} already belongs to member ${holder}`)
      const record: MemberRecord = { ...m, email }
      state.set(Table.Members, m.id, record)
      write({
        refs: [rowRef(Table.Members, m.id)],
        tables: [Table.Members],
        run: (tx) => tx`
          insert into members (id, email, name, role, password_hash, created_at, deactivated_at)
          values (${m.id}, ${email}, ${m.name}, ${m.role}, ${m.passwordHash}, ${m.createdAt},
            ${m.deactivatedAt ?? null})
          on conflict (id) do update set email = excluded.email, name = excluded.name,
            role = excluded.role, password_hash = excluded.password_hash,
            deactivated_at = excluded.deactivated_at, xid = excluded.xid`,
      })
    },
    putSession(s) {
      ensureOpen()
      state.set(Table.Sessions, s.id, { ...s })
      write({
        ...sessionWrite([s.id], false),
        run: (tx) => tx`
          insert into sessions (id, member_id, created_at, expires_at, refresh_gen, refreshed_at,
            ended_at, end_reason, user_agent, ip)
          values (${s.id}, ${s.memberId}, ${s.createdAt}, ${s.expiresAt}, ${s.refreshGen},
            ${s.refreshedAt}, ${s.endedAt ?? null}, ${s.endReason ?? null}, ${s.userAgent ?? null},
            ${s.ip ?? null})
          on conflict (id) do update set member_id = excluded.member_id,
            created_at = excluded.created_at, expires_at = excluded.expires_at,
            refresh_gen = excluded.refresh_gen, refreshed_at = excluded.refreshed_at,
            ended_at = excluded.ended_at, end_reason = excluded.end_reason,
            user_agent = excluded.user_agent, ip = excluded.ip, xid = excluded.xid`,
      })
    },
    getSession: (id) => copySession(sessions.get(id)),
    listSessions: (memberId) =>
      [...sessions.values()]
        .filter((s) => s.memberId === memberId)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((s) => ({ ...s })),
    rotateSession(id, fromGen, at) {
      ensureOpen()
      const s = sessions.get(id)
      if (!s || s.endedAt !== undefined || s.refreshGen !== fromGen) return false
      state.set(Table.Sessions, id, { ...s, refreshGen: fromGen + 1, refreshedAt: at })
      write({
        ...sessionWrite([id], true),
        run: async (tx) =>
          (
            await tx`update sessions set refresh_gen = ${fromGen + 1}, refreshed_at = ${at},
              xid = pg_current_xact_id()
              where id = ${id} and refresh_gen = ${fromGen} and ended_at is null`
          ).count > 0,
      })
      return true
    },
    endSession(id, at, reason) {
      ensureOpen()
      const s = sessions.get(id)
      if (!s || s.endedAt !== undefined) return false
      state.set(Table.Sessions, id, { ...s, endedAt: at, endReason: reason })
      write({
        ...sessionWrite([id], true),
        run: async (tx) =>
          (
            await tx`update sessions set ended_at = ${at}, end_reason = ${reason},
              xid = pg_current_xact_id() where id = ${id} and ended_at is null`
          ).count > 0,
      })
      return true
    },
    endSessions(memberId, at, reason) {
      ensureOpen()
      const ended: string[] = []
      for (const s of sessions.values())
        if (s.memberId === memberId && s.endedAt === undefined) {
          state.set(Table.Sessions, s.id, { ...s, endedAt: at, endReason: reason })
          ended.push(s.id)
        }
      // Written even when this relay knows of no live session: another may have opened one.
      write({
        ...sessionWrite(ended, false),
        run: (tx) => tx`update sessions set ended_at = ${at}, end_reason = ${reason},
          xid = pg_current_xact_id() where member_id = ${memberId} and ended_at is null`,
      })
      return ended
    },
    pruneSessions(before) {
      ensureOpen()
      const gone: string[] = []
      for (const s of [...sessions.values()])
        if (s.expiresAt < before || (s.endedAt ?? s.expiresAt) < before) {
          state.remove(Table.Sessions, s.id)
          gone.push(s.id)
        }
      write({
        ...sessionWrite(gone, false),
        whole: true,
        run: (tx) => tx`delete from sessions
          where expires_at < ${before} or coalesce(ended_at, expires_at) < ${before}`,
      })
      return gone.length
    },
  }
}
