/**
 * @module The workspace's administration: members, phone numbers, access, sessions, restores.
 * Every change is checked against the role rules [S6]–[S11], stored, then written to the
 * workspace document as the relay; sockets that lose what they held are closed first.
 */
import type { Room as RoomName } from '@switchboard/core'
import type * as Y from 'yjs'
import type { Passwords } from './auth.ts'
import {
  publicMember,
  sessionView,
  workspaceMember,
  ID_RE,
  type SessionView,
} from './member-views.ts'
import { CloseCode } from '@switchboard/protocol'
import { AdminError } from './admin-error.ts'
import { createPhoneNumberAdmin, type PhoneNumberAdmin } from './phone-number-admin.ts'
import type { CredentialVault } from './providers/credential-vault.ts'
import { createRestorer, RestoreError, type RestoreReport } from './restore.ts'
import { RELAY_ORIGIN } from './room.ts'
import { workspaceWriter, type WriteWorkspace } from './workspace-writes.ts'
import {
  memberRoles,
  type MemberRecord,
  type MemberRole,
  type RelayStorage,
} from './storage/relay-storage.ts'

export type { SessionView } from './member-views.ts'
export { AdminError } from './admin-error.ts'
export type { ArchivedPhoneNumber, NewPhoneNumber } from './phone-number-admin.ts'

export interface NewMember {
  email: string
  name: string
  role: MemberRole
  password: string
  id?: string
}

/**
 * Who asks for an admin change: a member (through the HTTP admin API), or null for the operator
 * (the CLI on DATA_DIR, seeding code), who acts as an owner.
 */
export type Actor = MemberRecord | null

export interface Admin extends PhoneNumberAdmin {
  /**
   * `demo` accepts any non-empty password: the operator chose SWITCHBOARD_DEMO_PASSWORD. Only an
   * owner (or the operator) creates owners [S7].
   */
  createMember(input: NewMember, options?: { demo?: boolean; actor?: Actor }): Promise<MemberRecord>
  grant(memberId: string, phoneNumberId: string): Promise<void>
  /**
   * Restores an inbox room's conversations to `at` (ISO 8601 or ms) by compensating marks
   * (docs/restore.md); `by` must be an owner, and is named in the history.
   */
  restore(room: string, at: unknown, by: string): Promise<RestoreReport>
  /** An admin cannot revoke an owner's access [S9]. */
  revoke(memberId: string, phoneNumberId: string, actor?: Actor): Promise<void>
  /** [S7][S8][S10] Changes a member's role; their sockets reconnect under the new one. */
  setRole(memberId: string, role: MemberRole, actor?: Actor): Promise<MemberRecord>
  /** [S6][S8][S9] Deactivates a member: no login, every session ended, every socket closed. */
  removeMember(memberId: string, actor?: Actor): Promise<MemberRecord>
  /** [S9][S11] Sets a new password and ends every session of the member. */
  resetPassword(memberId: string, password: string, actor?: Actor): Promise<void>
  /** A member's sessions, newest first; ended and expired ones only with `all`. */
  listSessions(memberId: string, options?: { all?: boolean }): SessionView[]
  /** [S5][S9] Ends one session of a member (or all of them without `sessionId`); returns the ids ended. */
  revokeSessions(memberId: string, sessionId?: string, actor?: Actor): string[]
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+$/

/** The sockets an admin change closes, by whose they are and what room they hold. */
export interface AdminSockets {
  closeWhere(
    pred: (c: { memberId: string; roomName: RoomName }) => boolean,
    code: number,
    reason: string,
  ): void
  closeSessions(ids: Iterable<string>, reason: string): void
}

export interface AdminDeps {
  storage: RelayStorage
  passwords: Passwords
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** The workspace's writes (several relays: made by its owner); default through `writeRoom`. */
  writeWorkspace?: WriteWorkspace
  /** The room's move of old history to the archive under way, which a restore waits for. */
  historyMove(name: string): Promise<void> | undefined
  sockets: AdminSockets
  /** The phone number a room belongs to (access.ts). */
  phoneNumberOf(room: RoomName): string | null
  now: () => number
  log: (event: Record<string, unknown>) => void
  restoreRetentionMs: number
  /** Seals providers' credentials before they are stored [K1]. */
  vault: CredentialVault
}

export function createAdmin(deps: AdminDeps): Admin {
  const { storage, writeRoom, now, log, phoneNumberOf } = deps
  const writeWorkspace = deps.writeWorkspace ?? workspaceWriter(writeRoom)
  const { closeWhere, closeSessions } = deps.sockets
  const restorer = createRestorer({
    storage,
    writeRoom,
    historyMove: deps.historyMove,
    now,
    retentionMs: deps.restoreRetentionMs,
    origin: RELAY_ORIGIN,
    log,
  })
  /** The member an admin change is about; 404 when there is none. */
  const target = (memberId: string): MemberRecord => {
    const m = storage.getMember(memberId)
    if (!m) throw new AdminError(404, 'memberId', 'no such member')
    return m
  }
  /** [S7][S9] Changes that concern owners are an owner's (or the operator's) to make. */
  const ownerOnly = (actor: Actor, what: string) => {
    if (actor && actor.role !== 'owner')
      throw new AdminError(403, 'role', `only an owner can ${what}`)
  }
  /** [S8] The workspace keeps at least one owner who can sign in. */
  const keepAnOwner = (leaving: MemberRecord, what: string) => {
    if (leaving.role !== 'owner' || leaving.deactivatedAt !== undefined) return
    const others = storage
      .listMembers()
      .filter((m) => m.role === 'owner' && m.deactivatedAt === undefined && m.id !== leaving.id)
    if (others.length === 0)
      throw new AdminError(
        409,
        'memberId',
        `cannot ${what} the last owner: make another owner first`,
      )
  }
  const putMember = async (member: MemberRecord) => {
    storage.putMember(member)
    await writeWorkspace([{ op: 'member', member: workspaceMember(member) }])
  }

  return {
    ...createPhoneNumberAdmin(deps),
    async createMember(input, options = {}) {
      const email = String(input.email ?? '')
        .trim()
        .toLowerCase()
      if (!EMAIL_RE.test(email)) throw new AdminError(400, 'email', 'must be an email address')
      if (typeof input.name !== 'string' || !input.name.trim())
        throw new AdminError(400, 'name', 'must be a non-empty string')
      if (!memberRoles.includes(input.role))
        throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
      if (input.role === 'owner') ownerOnly(options.actor ?? null, 'create owners')
      const minLength = options.demo ? 1 : 8
      if (typeof input.password !== 'string' || input.password.length < minLength)
        throw new AdminError(400, 'password', `must be at least ${minLength} characters`)
      if (input.id !== undefined && !ID_RE.test(input.id))
        throw new AdminError(400, 'id', 'must be an id')
      const id = input.id ?? `m-${crypto.randomUUID().slice(0, 8)}`
      // A new member never takes an existing id (the store's put overwrites): checked before the
      // hash and again after it, with nothing awaited between the check and the write.
      const free = () => {
        if (storage.getMemberByEmail(email))
          throw new AdminError(409, 'email', 'a member with this email exists')
        if (storage.getMember(id)) throw new AdminError(409, 'id', 'a member with this id exists')
      }
      free()
      const passwordHash = await deps.passwords.hash(input.password)
      free()
      const member: MemberRecord = {
        id,
        email,
        name: input.name.trim(),
        role: input.role,
        passwordHash,
        createdAt: now(),
      }
      storage.putMember(member)
      await writeWorkspace([{ op: 'member', member: publicMember(member) }])
      return member
    },
    async grant(memberId, phoneNumberId) {
      if (!storage.getMember(memberId)) throw new AdminError(404, 'memberId', 'no such member')
      if (!storage.getPhoneNumber(phoneNumberId))
        throw new AdminError(404, 'phoneNumberId', 'no such phone number')
      storage.grantAccess(memberId, phoneNumberId)
      await writeWorkspace([{ op: 'grant', memberId, phoneNumberId }])
    },
    async revoke(memberId, phoneNumberId, actor = null) {
      if (target(memberId).role === 'owner') ownerOnly(actor, "revoke an owner's access")
      storage.revokeAccess(memberId, phoneNumberId)
      // Sockets go first: the member must not see one more byte of these rooms.
      closeWhere(
        (c) => c.memberId === memberId && phoneNumberOf(c.roomName) === phoneNumberId,
        CloseCode.Forbidden,
        'access revoked',
      )
      await writeWorkspace([{ op: 'revoke', memberId, phoneNumberId }])
    },
    async restore(room, at, by) {
      const member = storage.getMember(by)
      if (!member) throw new AdminError(404, 'by', 'no such member')
      if (member.role !== 'owner') throw new AdminError(400, 'by', 'only an owner may restore')
      try {
        return await restorer(room, at, member.id)
      } catch (err) {
        if (err instanceof RestoreError) throw new AdminError(err.status, err.field, err.message)
        throw err
      }
    },
    async setRole(memberId, role, actor = null) {
      const m = target(memberId)
      if (!memberRoles.includes(role))
        throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
      if (m.role === role) return m
      if (m.role === 'owner' || role === 'owner')
        ownerOnly(actor, "make owners or change an owner's role")
      keepAnOwner(m, 'demote')
      const changed = { ...m, role }
      await putMember(changed)
      // [S10] Sockets hold the role they were opened with: they reconnect under the new one.
      closeWhere((c) => c.memberId === memberId, CloseCode.Unauthorized, 'role changed: reconnect')
      log({
        level: 'info',
        msg: 'role changed',
        member: memberId,
        from: m.role,
        to: role,
        by: actor?.id ?? 'operator',
      })
      return changed
    },
    async removeMember(memberId, actor = null) {
      const m = target(memberId)
      if (m.role === 'owner') ownerOnly(actor, 'remove an owner')
      keepAnOwner(m, 'remove')
      const removed = m.deactivatedAt === undefined ? { ...m, deactivatedAt: now() } : m
      // Committed before anything is announced: no relay sharing the store lets them back in.
      await storage.durably(() => {
        storage.putMember(removed)
        storage.endSessions(memberId, now(), 'member-removed')
      })
      // Every socket of the member, whichever session opened it: nothing more in or out.
      closeWhere((c) => c.memberId === memberId, CloseCode.SessionEnded, 'member removed')
      await writeWorkspace([{ op: 'member', member: workspaceMember(removed) }])
      log({ level: 'info', msg: 'member removed', member: memberId, by: actor?.id ?? 'operator' })
      return removed
    },
    async resetPassword(memberId, password, actor = null) {
      const allowed = () => {
        const m = target(memberId)
        if (m.deactivatedAt !== undefined)
          throw new AdminError(409, 'memberId', 'the member was removed')
        // The actor as stored now: a role they lost meanwhile is lost for this too.
        const by = actor && (storage.getMember(actor.id) ?? actor)
        if (m.role === 'owner' && by?.id !== m.id) ownerOnly(by, "reset an owner's password")
        return m
      }
      allowed()
      if (typeof password !== 'string' || password.length < 8)
        throw new AdminError(400, 'password', 'must be at least 8 characters')
      const passwordHash = await deps.passwords.hash(password)
      // Checked again on the record as it is after the hash: a removal or a role change made
      // meanwhile stays (the reset writes the hash only).
      const ended = await storage.durably(() => {
        storage.putMember({ ...allowed(), passwordHash })
        return storage.endSessions(memberId, now(), 'password-reset')
      })
      closeSessions(ended, 'password reset')
      log({ level: 'info', msg: 'password reset', member: memberId, by: actor?.id ?? 'operator' })
    },
    listSessions(memberId, options = {}) {
      target(memberId)
      const t = now()
      return storage
        .listSessions(memberId)
        .filter((x) => options.all || (x.endedAt === undefined && x.expiresAt > t))
        .map(sessionView)
    },
    revokeSessions(memberId, sessionId, actor = null) {
      const m = target(memberId)
      if (m.role === 'owner' && actor?.id !== m.id) ownerOnly(actor, "revoke an owner's sessions")
      let ended: string[]
      if (sessionId === undefined) ended = storage.endSessions(memberId, now(), 'revoked')
      else {
        const s = storage.getSession(sessionId)
        if (!s || s.memberId !== memberId)
          throw new AdminError(404, 'sessionId', 'no such session of this member')
        ended = storage.endSession(sessionId, now(), 'revoked') ? [sessionId] : []
      }
      closeSessions(ended, 'session revoked')
      return ended
    },
  }
}
