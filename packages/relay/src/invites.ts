/**
 * @module Invitations (packages/core/SPEC.md "Access" [I1]–[I8]): an owner or admin invites an
 * email with a role and some phone numbers; the link's token is random and stored only as its
 * hash; whoever opens the link sets a name and password, once, before it expires, and is then a
 * member with exactly that role and those numbers — all of it in one transaction.
 */
import { AdminError, EMAIL_RE, type Actor } from './admin.ts'
import type { Passwords } from './auth.ts'
import { workspaceMember } from './member-views.ts'
import {
  memberRoles,
  type InviteRecord,
  type MemberRecord,
  type MemberRole,
  type RelayStorage,
} from './storage/relay-storage.ts'
import { isConflict } from './storage/storage-error.ts'
import type { WriteWorkspace } from './workspace-writes.ts'

/** [I2] How long an invite link works. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000

/** An invite as the admin API answers it: never its token or hash. */
export interface InviteView {
  id: string
  email: string
  role: MemberRole
  phoneNumberIds: string[]
  createdBy: string | null
  createdAt: number
  expiresAt: number
}

export const inviteView = (i: InviteRecord): InviteView => ({
  id: i.id,
  email: i.email,
  role: i.role,
  phoneNumberIds: [...i.phoneNumberIds],
  createdBy: i.createdBy,
  createdAt: i.createdAt,
  expiresAt: i.expiresAt,
})

export interface Invites {
  /** [I1][I4] Makes an invite; returns it and its token (shown once, in the link). */
  create(
    input: { email?: unknown; role?: unknown; phoneNumberIds?: unknown },
    actor: Actor,
  ): Promise<{ invite: InviteRecord; token: string }>
  /** Pending invites (not used, revoked or expired), newest first. */
  pending(): InviteRecord[]
  revoke(id: string): void
  /** [I2] What the link shows before anyone signs in: the invite, or why it no longer works. */
  peek(token: string): Promise<InviteRecord>
  /** [I3][I5][I6] Accepts the invite: the member it creates (or re-activates). */
  accept(token: string, input: { name?: unknown; password?: unknown }): Promise<MemberRecord>
}

export interface InvitesDeps {
  storage: RelayStorage
  /** The workspace's writes (several relays: made by its owner, scale/owner-requests.ts). */
  writeWorkspace: WriteWorkspace
  passwords: Passwords
  now: () => number
  log: (event: Record<string, unknown>) => void
}

const TOKEN_RE = /^[A-Za-z0-9_-]{20,128}$/

/** A link token: 32 random bytes (256 bits), base64url. */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** SHA-256 of a token, hex: what the store keeps [I1]. */
export async function hashInviteToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export function createInvites(deps: InvitesDeps): Invites {
  const { storage, writeWorkspace, now, log } = deps

  /** Whether `by` may invite someone with `role` now: an owner or admin, and owners by owners. */
  const mayInvite = (by: MemberRecord | null, role: MemberRole) =>
    by === null ||
    (by.deactivatedAt === undefined &&
      (by.role === 'owner' || (by.role === 'admin' && role !== 'owner')))

  /** [I2][I5] The invite a token names, if it still works; otherwise the reason, as an error. */
  const usable = (invite: InviteRecord | null): InviteRecord => {
    if (!invite) throw new AdminError(404, 'token', 'no such invite')
    if (invite.usedAt !== undefined) throw new AdminError(410, 'token', 'invite already used')
    if (invite.revokedAt !== undefined) throw new AdminError(410, 'token', 'invite revoked')
    if (now() >= invite.expiresAt) throw new AdminError(410, 'token', 'invite expired')
    // [I5] An invite is only as good as its maker's right to make it, now.
    const by = invite.createdBy === null ? null : storage.getMember(invite.createdBy)
    if (invite.createdBy !== null && !by) throw new AdminError(410, 'token', 'invite revoked')
    if (!mayInvite(by, invite.role)) throw new AdminError(410, 'token', 'invite revoked')
    return invite
  }
  const find = async (token: string) =>
    TOKEN_RE.test(token) ? storage.getInviteByTokenHash(await hashInviteToken(token)) : null

  return {
    async create(input, actor) {
      const email = String(input.email ?? '')
        .trim()
        .toLowerCase()
      if (!EMAIL_RE.test(email) || email.length > 254)
        throw new AdminError(400, 'email', 'must be an email address')
      const role = input.role as MemberRole
      if (!memberRoles.includes(role))
        throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
      // [S7] Only an owner brings in an owner.
      if (!mayInvite(actor, role))
        throw new AdminError(403, 'role', 'only an owner can invite owners')
      const ids = input.phoneNumberIds ?? []
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
        throw new AdminError(400, 'phoneNumberIds', 'must be a list of phone number ids')
      const phoneNumberIds = [...new Set(ids as string[])]
      for (const id of phoneNumberIds)
        if (!storage.getPhoneNumber(id))
          throw new AdminError(400, 'phoneNumberIds', `no such phone number: ${id}`)
      const existing = storage.getMemberByEmail(email)
      if (existing && existing.deactivatedAt === undefined)
        throw new AdminError(409, 'email', 'this email is already a member')
      const token = newToken()
      const t = now()
      const invite: InviteRecord = {
        id: `inv-${crypto.randomUUID().slice(0, 8)}`,
        tokenHash: await hashInviteToken(token),
        email,
        role,
        phoneNumberIds,
        createdBy: actor?.id ?? null,
        createdAt: t,
        expiresAt: t + INVITE_TTL_MS,
      }
      // [I4] The newest invite to an email replaces the ones still pending.
      storage.transaction(() => {
        for (const old of storage.listInvites())
          if (old.email === email && old.usedAt === undefined) storage.revokeInvite(old.id, t)
        storage.putInvite(invite)
      })
      log({
        level: 'info',
        msg: 'invite created',
        invite: invite.id,
        role,
        by: actor?.id ?? 'operator',
      })
      return { invite, token }
    },
    pending() {
      const t = now()
      return storage
        .listInvites()
        .filter((i) => i.usedAt === undefined && i.revokedAt === undefined && i.expiresAt > t)
    },
    revoke(id) {
      const invite = storage.getInvite(id)
      if (!invite) throw new AdminError(404, 'id', 'no such invite')
      if (invite.usedAt !== undefined) throw new AdminError(409, 'id', 'invite already used')
      storage.revokeInvite(id, now())
    },
    async peek(token) {
      return usable(await find(token))
    },
    async accept(token, input) {
      const hash = TOKEN_RE.test(token) ? await hashInviteToken(token) : null
      const check = () => usable(hash === null ? null : storage.getInviteByTokenHash(hash))
      check()
      const name = typeof input.name === 'string' ? input.name.trim() : ''
      if (!name || name.length > 100)
        throw new AdminError(400, 'name', 'must be a name of 1 to 100 characters')
      if (typeof input.password !== 'string' || input.password.length < 8)
        throw new AdminError(400, 'password', 'must be at least 8 characters')
      const passwordHash = await deps.passwords.hash(input.password)
      // [I3] Checked again after the hash with nothing awaited until the commit: of two accepts
      // at once, one creates the member and the other finds the invite used.
      const invite = check()
      const existing = storage.getMemberByEmail(invite.email)
      if (existing && existing.deactivatedAt === undefined)
        throw new AdminError(409, 'email', 'this email is already a member')
      const t = now()
      // [I6] A removed member invited again comes back under their id, so history keeps one name.
      const member: MemberRecord = existing
        ? { ...existing, name, role: invite.role, passwordHash }
        : {
            id: `m-${crypto.randomUUID().slice(0, 8)}`,
            email: invite.email,
            name,
            role: invite.role,
            passwordHash,
            createdAt: t,
          }
      delete member.deactivatedAt
      const numbers = invite.phoneNumberIds.filter((id) => storage.getPhoneNumber(id) !== null)
      const dropped = existing ? storage.listAccess(existing.id) : []
      // Committed before the member is announced; of two relays accepting at once, the store
      // keeps one and the other is told the invite was used.
      await storage
        .durably(() => {
          if (!storage.useInvite(invite.id, t, member.id))
            throw new AdminError(410, 'token', 'invite already used')
          storage.putMember(member)
          for (const id of dropped) storage.revokeAccess(member.id, id)
          for (const id of numbers) storage.grantAccess(member.id, id)
        })
        .catch((error: unknown) => {
          throw isConflict(error) ? new AdminError(410, 'token', 'invite already used') : error
        })
      await writeWorkspace([
        { op: 'member', member: workspaceMember(member) },
        ...dropped.map((id) => ({ op: 'revoke' as const, memberId: member.id, phoneNumberId: id })),
        ...numbers.map((id) => ({ op: 'grant' as const, memberId: member.id, phoneNumberId: id })),
      ])
      log({ level: 'info', msg: 'invite accepted', invite: invite.id, member: member.id })
      return member
    },
  }
}
