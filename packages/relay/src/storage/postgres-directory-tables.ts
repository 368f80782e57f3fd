/**
 * @module How each directory table's rows become cached records: the key a row is cached under,
 * its primary key columns (to reread one row), and whether the table is refreshed by the rows
 * written since a transaction id (tables that never delete) or read whole (the small ones that do).
 */
import { ownerFromColumn } from './postgres-owner-column.ts'
import type { TriageRule } from '@switchboard/core'
import type { ProviderName } from '../providers/provider-account.ts'
import type { MemberRecord, MemberRole, PhoneNumberRecord, SessionRecord } from './directory.ts'
import type { InviteRecord } from './invite-store.ts'
import type { OutboxOutcome, OutboxRow, OutboxRowState } from './outbox.ts'
import { compositeKey, Table, type RowOf } from './postgres-directory-state.ts'

// postgres.js reads bigint as a string (it may exceed 2^53); times in ms never do.
type Row = Record<string, unknown>
const num = (v: unknown) => Number(v)
const optNum = (v: unknown) => (v === null || v === undefined ? undefined : Number(v))
const str = (v: unknown) => v as string
const optStr = (v: unknown) => (v === null || v === undefined ? undefined : (v as string))

/** Copies the defined values of `extra` onto `base` (records omit absent optional fields). */
function withOptional<T extends object>(base: T, extra: Partial<T>): T {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (base as Row)[k] = v
  return base
}

export interface TableSpec<T extends Table> {
  table: T
  /** Primary key columns, in the order `keyOf` joins them. */
  pk: readonly string[]
  /** Refreshed by the rows written since the last read (`xid`), not read whole. */
  incremental: boolean
  keyOf(row: Row): string
  toValue(row: Row): RowOf<T>
}

const spec = <T extends Table>(s: TableSpec<T>) => s

export const tableSpecs: { [T in Table]: TableSpec<T> } = {
  members: spec({
    table: Table.Members,
    pk: ['id'],
    incremental: true,
    keyOf: (r) => str(r.id),
    toValue: (r): MemberRecord =>
      withOptional<MemberRecord>(
        {
          id: str(r.id),
          email: str(r.email),
          name: str(r.name),
          role: r.role as MemberRole,
          passwordHash: str(r.password_hash),
          createdAt: num(r.created_at),
        },
        { deactivatedAt: optNum(r.deactivated_at) },
      ),
  }),
  sessions: spec({
    table: Table.Sessions,
    pk: ['id'],
    incremental: true,
    keyOf: (r) => str(r.id),
    toValue: (r): SessionRecord =>
      withOptional<SessionRecord>(
        {
          id: str(r.id),
          memberId: str(r.member_id),
          createdAt: num(r.created_at),
          expiresAt: num(r.expires_at),
          refreshGen: num(r.refresh_gen),
          refreshedAt: num(r.refreshed_at),
        },
        {
          endedAt: optNum(r.ended_at),
          endReason: optStr(r.end_reason),
          userAgent: optStr(r.user_agent),
          ip: optStr(r.ip),
        },
      ),
  }),
  phone_numbers: spec({
    table: Table.PhoneNumbers,
    pk: ['id'],
    incremental: false,
    keyOf: (r) => str(r.id),
    toValue: (r) =>
      withOptional<PhoneNumberRecord & { position: number }>(
        { id: str(r.id), name: str(r.name), number: str(r.number), position: num(r.position) },
        { provider: optStr(r.provider) as ProviderName | undefined },
      ),
  }),
  phone_number_credentials: spec({
    table: Table.Credentials,
    pk: ['phone_number_id'],
    incremental: false,
    keyOf: (r) => str(r.phone_number_id),
    toValue: (r) => str(r.sealed),
  }),
  access: spec({
    table: Table.Access,
    pk: ['member_id', 'phone_number_id'],
    incremental: false,
    keyOf: (r) => compositeKey(str(r.member_id), str(r.phone_number_id)),
    toValue: (r) => ({ memberId: str(r.member_id), phoneNumberId: str(r.phone_number_id) }),
  }),
  conversations: spec({
    table: Table.Conversations,
    pk: ['id'],
    incremental: true,
    keyOf: (r) => str(r.id),
    toValue: (r) => str(r.phone_number_id),
  }),
  activities: spec({
    table: Table.Activities,
    pk: ['id'],
    incremental: true,
    keyOf: (r) => str(r.id),
    toValue: () => true as const,
  }),
  client_owners: spec({
    table: Table.ClientOwners,
    pk: ['room', 'client'],
    incremental: true,
    keyOf: (r) => compositeKey(str(r.room), num(r.client)),
    toValue: (r) => ownerFromColumn(str(r.member_id)),
  }),
  device_owners: spec({
    table: Table.DeviceOwners,
    pk: ['device_id'],
    incremental: true,
    keyOf: (r) => str(r.device_id),
    toValue: (r) => ownerFromColumn(str(r.member_id)),
  }),
  provider_calls: spec({
    table: Table.ProviderCalls,
    pk: ['call_key'],
    incremental: true,
    keyOf: (r) => str(r.call_key),
    toValue: (r) => ({
      callKey: str(r.call_key),
      phoneNumberId: str(r.phone_number_id),
      conversationId: str(r.conversation_id),
      activityId: str(r.activity_id),
    }),
  }),
  meta: spec({
    table: Table.Meta,
    pk: ['key'],
    incremental: true,
    keyOf: (r) => str(r.key),
    toValue: (r) => str(r.value),
  }),
  invites: spec({
    table: Table.Invites,
    pk: ['id'],
    incremental: true,
    keyOf: (r) => str(r.id),
    toValue: (r): InviteRecord =>
      withOptional<InviteRecord>(
        {
          id: str(r.id),
          tokenHash: str(r.token_hash),
          email: str(r.email),
          role: r.role as MemberRole,
          phoneNumberIds: [...(r.phone_number_ids as string[])],
          createdBy: (r.created_by as string | null) ?? null,
          createdAt: num(r.created_at),
          expiresAt: num(r.expires_at),
        },
        { usedAt: optNum(r.used_at), usedBy: optStr(r.used_by), revokedAt: optNum(r.revoked_at) },
      ),
  }),
  last_seen: spec({
    table: Table.LastSeen,
    pk: ['member_id'],
    incremental: true,
    keyOf: (r) => str(r.member_id),
    toValue: (r) => num(r.at),
  }),
  triage_rules: spec({
    table: Table.Rules,
    pk: ['id'],
    incremental: false,
    keyOf: (r) => str(r.id),
    toValue: (r): TriageRule =>
      withOptional<TriageRule>(
        {
          id: str(r.id),
          phoneNumberId: str(r.phone_number_id),
          kind: r.kind as TriageRule['kind'],
          name: str(r.name),
          createdBy: str(r.created_by),
          createdAt: num(r.created_at),
        },
        {
          field: optStr(r.field) as TriageRule['field'],
          pattern: optStr(r.pattern),
          days: optNum(r.days),
        },
      ),
  }),
  outbox: spec({
    table: Table.Outbox,
    pk: ['activity_id'],
    incremental: true,
    keyOf: (r) => str(r.activity_id),
    toValue: (r) => ({
      row: withOptional<OutboxRow>(
        {
          activityId: str(r.activity_id),
          attempt: num(r.attempt),
          phoneNumberId: str(r.phone_number_id),
          conversationId: str(r.conversation_id),
          memberId: str(r.member_id),
          provider: r.provider as ProviderName,
          from: str(r.from_number),
          to: str(r.to_number),
          body: str(r.body),
          createdAt: num(r.created_at),
          state: r.state as OutboxRowState,
          dueAt: num(r.due_at),
          tries: num(r.tries),
        },
        {
          startedAt: optNum(r.started_at),
          outcome: optStr(r.outcome) as OutboxOutcome | undefined,
          reason: optStr(r.reason),
          providerMessageId: optStr(r.provider_message_id),
        },
      ),
      order: num(r.enqueued),
      queuedAt: num(r.queued_at),
    }),
  }),
}
