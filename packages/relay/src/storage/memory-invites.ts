/** @module The in-memory InviteStore (see invite-store.ts). */
import type { InviteRecord, InviteStore } from './invite-store.ts'

const copy = (i: InviteRecord): InviteRecord => ({ ...i, phoneNumberIds: [...i.phoneNumberIds] })

export function createMemoryInvites(open: () => void): InviteStore {
  const invites = new Map<string, InviteRecord>()
  const lastSeen = new Map<string, number>()
  return {
    putInvite(invite) {
      open()
      invites.set(invite.id, { ...copy(invite), email: invite.email.toLowerCase() })
    },
    getInvite(id) {
      const i = invites.get(id)
      return i ? copy(i) : null
    },
    getInviteByTokenHash(tokenHash) {
      for (const i of invites.values()) if (i.tokenHash === tokenHash) return copy(i)
      return null
    },
    listInvites: () =>
      [...invites.values()]
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map(copy),
    useInvite(id, at, memberId) {
      open()
      const i = invites.get(id)
      if (!i || i.usedAt !== undefined || i.revokedAt !== undefined) return false
      i.usedAt = at
      i.usedBy = memberId
      return true
    },
    revokeInvite(id, at) {
      open()
      const i = invites.get(id)
      if (!i || i.usedAt !== undefined || i.revokedAt !== undefined) return false
      i.revokedAt = at
      return true
    },
    setLastSeen(memberId, at) {
      open()
      lastSeen.set(memberId, Math.max(at, lastSeen.get(memberId) ?? 0))
    },
    listLastSeen: () => new Map(lastSeen),
  }
}
