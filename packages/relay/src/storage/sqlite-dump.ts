/** @module Reading every directory and outbox table of a SQLite store (directory-dump.ts). */
import type Database from 'better-sqlite3'
import type { DirectoryDump } from './directory-dump.ts'
import {
  toMember,
  toPhoneNumber,
  toSession,
  type MemberRow,
  type PhoneNumberRow,
  type SessionRow,
} from './sqlite-directory.ts'
import { toInvite, type InviteRow } from './sqlite-invites.ts'
import { toOutboxRow, type OutboxTableRow } from './sqlite-outbox.ts'
import { toRule, type RuleRow } from './sqlite-rules.ts'

export function dumpSqliteDirectory(db: Database.Database): DirectoryDump {
  const all = <R>(sql: string) => db.prepare<[], R>(sql).all()
  return db.transaction((): DirectoryDump => ({
    members: all<MemberRow>('SELECT * FROM members ORDER BY rowid').map((r) => toMember(r)!),
    sessions: all<SessionRow>('SELECT * FROM sessions ORDER BY rowid').map((r) => toSession(r)!),
    phoneNumbers: all<PhoneNumberRow>('SELECT * FROM phone_numbers ORDER BY rowid').map((r) =>
      toPhoneNumber(r)!,
    ),
    credentials: all<{ phone_number_id: string; sealed: string }>(
      'SELECT * FROM phone_number_credentials ORDER BY rowid',
    ).map((r) => ({ phoneNumberId: r.phone_number_id, sealed: r.sealed })),
    access: all<{ member_id: string; phone_number_id: string }>(
      'SELECT * FROM access ORDER BY rowid',
    ).map((r) => ({ memberId: r.member_id, phoneNumberId: r.phone_number_id })),
    conversations: all<{ id: string; phone_number_id: string }>(
      'SELECT * FROM conversations ORDER BY rowid',
    ).map((r) => ({ conversationId: r.id, phoneNumberId: r.phone_number_id })),
    activityIds: all<{ id: string }>('SELECT id FROM activities ORDER BY rowid').map((r) => r.id),
    providerCalls: all<{
      call_key: string
      phone_number_id: string
      conversation_id: string
      activity_id: string
    }>('SELECT * FROM provider_calls ORDER BY rowid').map((r) => ({
      callKey: r.call_key,
      phoneNumberId: r.phone_number_id,
      conversationId: r.conversation_id,
      activityId: r.activity_id,
    })),
    clientOwners: all<{ room: string; client: number; member_id: string }>(
      'SELECT * FROM client_owners ORDER BY rowid',
    ).map((r) => ({ room: r.room, client: r.client, memberId: r.member_id })),
    deviceOwners: all<{ device_id: string; member_id: string }>(
      'SELECT * FROM device_owners ORDER BY rowid',
    ).map((r) => ({ deviceId: r.device_id, memberId: r.member_id })),
    meta: all<{ key: string; value: string }>('SELECT key, value FROM meta ORDER BY rowid'),
    invites: all<InviteRow>('SELECT * FROM invites ORDER BY rowid').map((r) => toInvite(r)!),
    lastSeen: all<{ member_id: string; at: number }>('SELECT * FROM last_seen ORDER BY rowid').map(
      (r) => ({ memberId: r.member_id, at: r.at }),
    ),
    rules: all<RuleRow>('SELECT * FROM triage_rules ORDER BY rowid').map((r) => toRule(r)!),
    outbox: all<OutboxTableRow & { queued_at: number | null }>(
      'SELECT * FROM outbox ORDER BY rowid',
    ).map((r) => ({ row: toOutboxRow(r)!, queuedAt: r.queued_at ?? r.created_at })),
  }))()
}
