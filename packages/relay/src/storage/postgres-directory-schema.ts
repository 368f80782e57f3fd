/**
 * @module The directory's and the outbox's tables on PostgreSQL: every stateful table of the
 * SQLite store but the room log's (sqlite-schema.ts), under the migration part `directory`.
 *
 * Tables whose rows are never deleted carry `xid`, the transaction that last wrote the row
 * (`pg_current_xact_id()`), so a relay refreshing its cache after another relay's notification
 * reads only the rows written since its last read (postgres-directory-loader.ts). Times are
 * milliseconds in `bigint`.
 */
import type { Sql } from './postgres-connect.ts'
import { migratePart, type MigrationStep } from './postgres-migrations.ts'

const XID = 'xid xid8 not null default pg_current_xact_id()'

/** Append only: a step, once released, is never edited (databases have already run it). */
export const directorySteps: MigrationStep[] = [
  `create table members (id text primary key, email text not null unique, name text not null,
     role text not null, password_hash text not null, created_at bigint not null,
     deactivated_at bigint, ${XID});
   create index members_xid on members (xid);
   create table sessions (id text primary key, member_id text not null, created_at bigint not null,
     expires_at bigint not null, refresh_gen integer not null, refreshed_at bigint not null,
     ended_at bigint, end_reason text, user_agent text, ip text, ${XID});
   create index sessions_member on sessions (member_id, created_at);
   create index sessions_xid on sessions (xid);
   create table phone_numbers (id text primary key, name text not null, number text not null,
     provider text, position bigint generated always as identity);
   create table phone_number_credentials (phone_number_id text primary key, sealed text not null);
   create table access (member_id text not null, phone_number_id text not null,
     primary key (member_id, phone_number_id));
   create table conversations (id text primary key, phone_number_id text not null, ${XID});
   create index conversations_xid on conversations (xid);
   create table activities (id text primary key, ${XID});
   create index activities_xid on activities (xid);
   create table client_owners (room text not null, client bigint not null, member_id text not null,
     ${XID}, primary key (room, client));
   create index client_owners_xid on client_owners (xid);
   create table device_owners (device_id text primary key, member_id text not null, ${XID});
   create index device_owners_xid on device_owners (xid);
   create table provider_calls (call_key text primary key, phone_number_id text not null,
     conversation_id text not null, activity_id text not null, ${XID});
   create index provider_calls_xid on provider_calls (xid);
   create table meta (key text primary key, value text not null, ${XID});
   create index meta_xid on meta (xid);
   create table invites (id text primary key, token_hash text not null unique, email text not null,
     role text not null, phone_number_ids text[] not null, created_by text,
     created_at bigint not null, expires_at bigint not null, used_at bigint, used_by text,
     revoked_at bigint, ${XID});
   create index invites_xid on invites (xid);
   create table last_seen (member_id text primary key, at bigint not null, ${XID});
   create index last_seen_xid on last_seen (xid);
   create table triage_rules (id text primary key, phone_number_id text not null,
     kind text not null, name text not null, field text, pattern text, days integer,
     created_by text not null, created_at bigint not null);
   create index triage_rules_number on triage_rules (phone_number_id, created_at);
   create sequence outbox_order;
   create table outbox (activity_id text primary key, attempt integer not null,
     phone_number_id text not null, conversation_id text not null, member_id text not null,
     provider text not null, from_number text not null, to_number text not null, body text not null,
     created_at bigint not null, state text not null, due_at bigint not null, tries integer not null,
     started_at bigint, outcome text, reason text, provider_message_id text,
     queued_at bigint not null, enqueued bigint not null default nextval('outbox_order'), ${XID});
   create index outbox_due on outbox (state, due_at);
   create index outbox_provider_id on outbox (provider, provider_message_id);
   create index outbox_xid on outbox (xid);`,
]

/** Brings the directory's tables to this relay's version (see postgres-migrations.ts). */
export function migrateDirectory(sql: Sql): Promise<number> {
  return migratePart(sql, 'directory', directorySteps)
}
