/**
 * @module The room log's tables on PostgreSQL (docs/scale-out.md, "The room log on PostgreSQL")
 * and the SQL the log runs on them. Every stored blob carries a CRC-32, checked as it is read: a
 * damaged room is refused, never served empty or wrong.
 */
import type { Sql } from './postgres-connect.ts'
import { migratePart, type MigrationStep } from './postgres-migrations.ts'
import { migrateRelays } from './postgres-relays-schema.ts'

/** Append only: a step, once released, is never edited (databases have already run it). */
export const roomLogSteps: readonly MigrationStep[] = [
  // Ids come from one sequence so they increase in append order across all rooms of a relay
  // (the RoomLog contract); `room.last_seq` is the room's newest id. The room row is updated by
  // every append, so it leaves room on its page for HOT updates (fillfactor).
  `create sequence room_log_seq;
  create table room (
    room text primary key,
    owner text not null,
    fence bigint not null,
    last_seq bigint not null default 0
  ) with (fillfactor = 50);
  create table room_log (
    room text not null,
    seq bigint not null,
    data bytea not null,
    crc integer not null,
    primary key (room, seq)
  );
  create table room_snapshot (
    room text primary key,
    data bytea not null,
    crc integer not null,
    upto bigint not null,
    epoch_id text,
    retired text
  );
  create table room_archive (
    room text not null,
    key text not null,
    conversation_id text not null,
    data text not null,
    pos bigint generated always as identity,
    primary key (room, key)
  );
  create index room_archive_order on room_archive (room, pos);
  create index room_archive_conversation on room_archive (room, conversation_id, pos);`,
]

/** Creates or updates the room log's tables (and `relays`, whose heartbeats its claims read). */
export async function migrateRoomLog(sql: Sql): Promise<number> {
  await migrateRelays(sql)
  return migratePart(sql, 'room-log', [...roomLogSteps])
}

/** The room log's statements (each one statement: one snapshot, atomic, one round trip). */
export const RoomLogSql = {
  /**
   * Takes the room for `$2` with a new fence, so every write under an older one is refused —
   * only if it has no owner, the owner is `$2`, or the owner's heartbeat is older than the lease
   * (`$3` ms) or missing; otherwise no row (the room's writes go to its live owner).
   */
  claim: `insert into room (room, owner, fence) values ($1, $2, 1)
    on conflict (room) do update set owner = excluded.owner, fence = room.fence + 1
    where room.owner = excluded.owner or not exists (
      select 1 from relays l where l.id = room.owner
        and l.heartbeat > now() - $3::integer * interval '1 millisecond')
    returning fence`,
  /** Takes the room for `$2` whoever holds it (a write that cannot be sent to its owner yet). */
  take: `insert into room (room, owner, fence) values ($1, $2, 1)
    on conflict (room) do update set owner = excluded.owner, fence = room.fence + 1
    returning fence`,
  /**
   * Appends a batch (arrays in call order) in one statement and one commit, and returns the
   * position (`ord`, from 1) and id of each append written: an append whose room's fence is not
   * the one given is not written. Ids are taken in call order.
   */
  appendBatch: `with input as (
      select t.room, t.fence, t.data, t.crc, t.ord, nextval('room_log_seq') as seq
      from unnest($1::text[], $2::bigint[], $3::bytea[], $4::int[]) with ordinality
        as t(room, fence, data, crc, ord)
      order by t.ord
    ), owned as (
      update room r set last_seq = m.seq
      from (select room, fence, max(seq) as seq from input group by room, fence) m
      where r.room = m.room and r.fence = m.fence
      returning r.room, r.fence
    ), written as (
      insert into room_log (room, seq, data, crc)
      select i.room, i.seq, i.data, i.crc from input i
      join owned o on o.room = i.room and o.fence = i.fence
    )
    select i.ord::int as ord, i.seq from input i
    join owned o on o.room = i.room and o.fence = i.fence
    order by i.ord`,
  /** The snapshot (kind 0) and the log after it (kind 1), read in one statement. */
  load: `select 0 as kind, 0::bigint as seq, data, crc, epoch_id, retired
      from room_snapshot where room = $1
    union all
    select 1, l.seq, l.data, l.crc, null, null from room_log l
      where l.room = $1 and l.seq > coalesce((select upto from room_snapshot where room = $1), 0)
    order by kind, seq`,
  /** As `load`, the log only up to an id (`$2`): the room as a compaction up to it holds it. */
  loadUpTo: `select 0 as kind, 0::bigint as seq, data, crc
      from room_snapshot where room = $1
    union all
    select 1, l.seq, l.data, l.crc from room_log l
      where l.room = $1 and l.seq <= $2
        and l.seq > coalesce((select upto from room_snapshot where room = $1), 0)
    order by kind, seq`,
  /** Locks the room's row if this relay's fence holds (a claim then waits for the commit). */
  fenceHeld: `select 1 from room where room = $1 and fence = $2 for update`,
  /** Replaces the snapshot (keeping the epoch) and drops the log it holds, if the fence holds. */
  compact: `with f as (select room from room where room = $1 and fence = $2 for update),
    s as (
      insert into room_snapshot (room, data, crc, upto) select room, $3, $4, $5 from f
      on conflict (room) do update set data = excluded.data, crc = excluded.crc, upto = excluded.upto
    ),
    d as (delete from room_log where room = (select room from f) and seq <= $5)
    select count(*)::int as held from f`,
  putEpochSnapshot: `insert into room_snapshot (room, data, crc, upto, epoch_id, retired)
    values ($1, $2, $3, $4, $5, $6)
    on conflict (room) do update set data = excluded.data, crc = excluded.crc,
      upto = excluded.upto, epoch_id = excluded.epoch_id, retired = excluded.retired`,
  dropLog: `delete from room_log where room = $1 and seq <= $2`,
  putArchive: `insert into room_archive (room, conversation_id, key, data)
    select $1, t.conversation_id, t.key, t.data
    from unnest($2::text[], $3::text[], $4::text[]) with ordinality as t(conversation_id, key, data, ord)
    order by t.ord
    on conflict (room, key) do nothing`,
  archiveAll: `select conversation_id, key, data from room_archive where room = $1 order by pos`,
  archiveOf: `select conversation_id, key, data from room_archive
    where room = $1 and conversation_id = $2 order by pos`,
  logSize: `select count(*)::int as count, coalesce(sum(octet_length(data)), 0)::bigint as bytes
    from room_log
    where room = $1 and seq > coalesce((select upto from room_snapshot where room = $1), 0)`,
  /** Rooms with something stored (a claimed room with nothing in it is not listed). */
  rooms: `select r.room from room r
    where exists (select 1 from room_log l where l.room = r.room)
      or exists (select 1 from room_snapshot s where s.room = r.room)
    order by r.room`,
} as const
