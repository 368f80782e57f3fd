/**
 * @module Invitations, members' last activity, and mutes and rules, in the PostgreSQL directory.
 * Using and revoking an invite are conditional in SQL too, so an invite is used once whichever
 * relays accept it at the same moment [I3].
 */
import type { TriageRule } from '@switchboard/core'
import type { InviteRecord, InviteStore } from './invite-store.ts'
import { rowRef, Table } from './postgres-directory-state.ts'
import type { WriteContext } from './postgres-write-queue.ts'
import type { RuleStore } from './rule-store.ts'

const copy = (i: InviteRecord | undefined): InviteRecord | null =>
  i ? { ...i, phoneNumberIds: [...i.phoneNumberIds] } : null
const byAge = (a: TriageRule, b: TriageRule) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)

export function createPostgresInvites({ state, ensureOpen, write }: WriteContext): InviteStore {
  const { invites, last_seen: lastSeen } = state.rows
  /** Moves an unused, unrevoked invite on, in the cache and (conditionally) in the store. */
  const settle = (
    id: string,
    change: Partial<InviteRecord>,
    set: 'used' | 'revoked',
    at: number,
    by?: string,
  ) => {
    const invite = invites.get(id)
    if (!invite || invite.usedAt !== undefined || invite.revokedAt !== undefined) return false
    state.set(Table.Invites, id, { ...invite, ...change })
    write({
      refs: [rowRef(Table.Invites, id)],
      tables: [Table.Invites],
      conditional: true,
      run: async (tx) =>
        (set === 'used'
          ? await tx`update invites set used_at = ${at}, used_by = ${by ?? null},
              xid = pg_current_xact_id()
              where id = ${id} and used_at is null and revoked_at is null`
          : await tx`update invites set revoked_at = ${at}, xid = pg_current_xact_id()
              where id = ${id} and used_at is null and revoked_at is null`
        ).count > 0,
    })
    return true
  }

  return {
    putInvite(i) {
      ensureOpen()
      const holder = state.inviteByHash.get(i.tokenHash)
      if (holder !== undefined && holder !== i.id)
        throw new Error(`invites.token_hash: already the hash of invite ${holder}`)
      const record = { ...i, email: i.email.toLowerCase(), phoneNumberIds: [...i.phoneNumberIds] }
      state.set(Table.Invites, i.id, record)
      write({
        refs: [rowRef(Table.Invites, i.id)],
        tables: [Table.Invites],
        run: (tx) => tx`
          insert into invites (id, token_hash, email, role, phone_number_ids, created_by,
            created_at, expires_at, used_at, used_by, revoked_at)
          values (${i.id}, ${i.tokenHash}, ${record.email}, ${i.role},
            ${tx.array(record.phoneNumberIds)}::text[], ${i.createdBy}, ${i.createdAt},
            ${i.expiresAt}, ${i.usedAt ?? null}, ${i.usedBy ?? null}, ${i.revokedAt ?? null})
          on conflict (id) do update set token_hash = excluded.token_hash,
            email = excluded.email, role = excluded.role,
            phone_number_ids = excluded.phone_number_ids, created_by = excluded.created_by,
            created_at = excluded.created_at, expires_at = excluded.expires_at,
            used_at = excluded.used_at, used_by = excluded.used_by,
            revoked_at = excluded.revoked_at, xid = excluded.xid`,
      })
    },
    getInvite: (id) => copy(invites.get(id)),
    getInviteByTokenHash(tokenHash) {
      const id = state.inviteByHash.get(tokenHash)
      return copy(id === undefined ? undefined : invites.get(id))
    },
    listInvites: () =>
      [...invites.values()]
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((i) => copy(i)!),
    useInvite(id, at, memberId) {
      ensureOpen()
      return settle(id, { usedAt: at, usedBy: memberId }, 'used', at, memberId)
    },
    revokeInvite(id, at) {
      ensureOpen()
      return settle(id, { revokedAt: at }, 'revoked', at)
    },
    setLastSeen(memberId, at) {
      ensureOpen()
      state.set(Table.LastSeen, memberId, Math.max(at, lastSeen.get(memberId) ?? 0))
      write({
        refs: [rowRef(Table.LastSeen, memberId)],
        tables: [Table.LastSeen],
        run: (tx) => tx`insert into last_seen (member_id, at) values (${memberId}, ${at})
          on conflict (member_id) do update set at = greatest(last_seen.at, excluded.at),
            xid = excluded.xid`,
      })
    },
    listLastSeen: () => new Map(lastSeen),
  }
}

/** `rulesChanged` moves the directory's rules revision on. */
export function createPostgresRules(
  { state, ensureOpen, write }: WriteContext,
  rulesChanged: () => void,
  revision: () => number,
): RuleStore {
  const rules = state.rows.triage_rules
  const list = (keep: (r: TriageRule) => boolean) =>
    [...rules.values()]
      .filter(keep)
      .sort(byAge)
      .map((r) => ({ ...r }))
  return {
    putRule(r) {
      ensureOpen()
      state.set(Table.Rules, r.id, { ...r })
      rulesChanged()
      write({
        refs: [rowRef(Table.Rules, r.id)],
        tables: [Table.Rules],
        run: (tx) => tx`
          insert into triage_rules (id, phone_number_id, kind, name, field, pattern, days,
            created_by, created_at)
          values (${r.id}, ${r.phoneNumberId}, ${r.kind}, ${r.name}, ${r.field ?? null},
            ${r.pattern ?? null}, ${r.days ?? null}, ${r.createdBy}, ${r.createdAt})
          on conflict (id) do update set phone_number_id = excluded.phone_number_id,
            kind = excluded.kind, name = excluded.name, field = excluded.field,
            pattern = excluded.pattern, days = excluded.days, created_by = excluded.created_by,
            created_at = excluded.created_at`,
      })
    },
    getRule(id) {
      const r = rules.get(id)
      return r ? { ...r } : null
    },
    listRules: (phoneNumberId) => list((r) => r.phoneNumberId === phoneNumberId),
    listCloseRules: () => list((r) => r.kind === 'close'),
    deleteRule(id) {
      ensureOpen()
      if (!state.remove(Table.Rules, id)) return false
      rulesChanged()
      write({
        refs: [rowRef(Table.Rules, id)],
        tables: [Table.Rules],
        run: (tx) => tx`delete from triage_rules where id = ${id}`,
      })
      return true
    },
    rulesRevision: revision,
  }
}
