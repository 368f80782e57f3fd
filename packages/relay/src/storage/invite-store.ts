/**
 * @module The directory's invitations and members' last activity (packages/core/SPEC.md "Access"
 * [I1]–[I8]): an invite is stored by the hash of its token, never the token, and is used once.
 */
import type { MemberRole } from './directory.ts'

/** An invitation to join the workspace with a role and access to some phone numbers. */
export interface InviteRecord {
  id: string
  /** SHA-256 (hex) of the token in the link; the token itself is never stored [I1]. */
  tokenHash: string
  email: string
  role: MemberRole
  phoneNumberIds: string[]
  /** The member who made it, or null for the operator. */
  createdBy: string | null
  createdAt: number
  expiresAt: number
  /** Set once it was accepted, with the member it created. */
  usedAt?: number
  usedBy?: string
  /** Set when an admin revoked it (or a newer invite to the same email replaced it). */
  revokedAt?: number
}

export interface InviteStore {
  /** Stores a new invite (or replaces one with the same id). */
  putInvite(invite: InviteRecord): void
  getInvite(id: string): InviteRecord | null
  getInviteByTokenHash(tokenHash: string): InviteRecord | null
  /** Every invite, newest first (used, revoked and expired ones included). */
  listInvites(): InviteRecord[]
  /**
   * Marks an invite used by `memberId`; false (nothing changed) when it was used or revoked
   * already, so an invite is used once whatever the race [I3].
   */
  useInvite(id: string, at: number, memberId: string): boolean
  /** Revokes an unused invite; false when it was used or revoked already. */
  revokeInvite(id: string, at: number): boolean
  /** Records the member's latest activity the relay saw (login, refresh, socket). */
  setLastSeen(memberId: string, at: number): void
  /** Every member's latest recorded activity (ms), by member id. */
  listLastSeen(): Map<string, number>
}
