/**
 * @module The inbound queue on PostgreSQL (docs/scale-out.md "Webhooks across relays"): the
 * `inbound` table, one row per (activity, room) inserted `on conflict do nothing` so a delivery
 * retried on any relay is taken once, and the notices that tell a room's owner rows wait. NOTIFY
 * takes a global lock at commit, so notices are batched: at most one statement per interval,
 * naming each waiting room once, never one per webhook.
 */
import { isConnectionFailure, type Sql } from './postgres-connect.ts'
import type { InboundRow, InboundStore, WaitingRoom } from './inbound-store.ts'
import { migratePart, type MigrationStep } from './postgres-migrations.ts'
import { StorageError } from './storage-error.ts'

/** The channel relays tell each other of waiting rooms on. */
export const INBOUND_CHANNEL = 'switchboard_inbound'

/** Append only: a step, once released, is never edited (databases have already run it). */
export const inboundSteps: readonly MigrationStep[] = [
  `create table inbound (
    id bigint generated always as identity primary key,
    provider text not null,
    event_id text not null,
    room text not null,
    payload text not null,
    received_at timestamptz not null default now(),
    done_at timestamptz,
    unique (event_id, room)
  );
  create index inbound_pending on inbound (room, id) where done_at is null;`,
]

export interface PostgresInboundOptions {
  relayId: string
  /** A relay whose heartbeat is older than this (ms) owns nothing. */
  leaseMs: number
  /** Notices are sent at most once per this many ms (default 20). */
  notifyEveryMs?: number
}

/** A notice: the relay it is for and the rooms waiting there. */
interface Notice {
  to: string
  rooms: string[]
}

/** The most rows one look-up returns for a room. */
const MAX_PENDING = 64

/**
 * `load` for every key asked in one event-loop turn, as one call; each caller gets its key's
 * value (`missing` when `load` found none).
 */
function perTurn<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
  missing: V,
): (key: K) => Promise<V> {
  let asked = new Map<K, { resolve: (v: V) => void; reject: (e: unknown) => void }[]>()
  const flush = () => {
    const batch = asked
    asked = new Map()
    load([...batch.keys()]).then(
      (found) => {
        for (const [key, waiting] of batch)
          for (const w of waiting) w.resolve(found.get(key) ?? missing)
      },
      (error: unknown) => {
        for (const waiting of batch.values()) for (const w of waiting) w.reject(error)
      },
    )
  }
  return (key) =>
    new Promise<V>((resolve, reject) => {
      if (asked.size === 0) setImmediate(flush)
      const waiting = asked.get(key)
      if (waiting) waiting.push({ resolve, reject })
      else asked.set(key, [{ resolve, reject }])
    })
}

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_NOTICE_BYTES = 7000

/** PostgreSQL's deadlock_detected. */
const isDeadlock = (e: unknown) => (e as { code?: unknown } | null)?.code === '40P01'

export async function createPostgresInbound(
  sql: Sql,
  options: PostgresInboundOptions,
): Promise<InboundStore> {
  await migratePart(sql, 'inbound', [...inboundSteps])
  const { relayId, leaseMs } = options
  const every = options.notifyEveryMs ?? 20
  const lease = `${Math.floor(leaseMs)} milliseconds`
  /** Rooms to announce, by owner. */
  const noted = new Map<string, Set<string>>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let sending: Promise<void> = Promise.resolve()
  let lastSent = -Infinity
  let closed = false

  const send = async () => {
    const notices: Notice[] = []
    for (const [to, rooms] of noted) {
      let batch: string[] = []
      let bytes = 0
      for (const room of rooms) {
        if (bytes + room.length > MAX_NOTICE_BYTES && batch.length > 0) {
          notices.push({ to, rooms: batch })
          batch = []
          bytes = 0
        }
        batch.push(room)
        bytes += room.length + 4
      }
      if (batch.length > 0) notices.push({ to, rooms: batch })
    }
    noted.clear()
    lastSent = performance.now()
    // Lost notices are caught by the owner's sweep: nothing is kept for a retry.
    await Promise.all(
      notices.map((n) => sql.notify(INBOUND_CHANNEL, JSON.stringify(n)).catch(() => {})),
    )
  }
  const schedule = () => {
    if (timer || closed) return
    const wait = Math.max(0, lastSent + every - performance.now())
    timer = setTimeout(() => {
      timer = null
      sending = sending.then(send)
    }, wait)
  }

  // A burst of webhooks starts many rooms' runs in one turn: their look-ups go as one statement.
  const liveOwner = perTurn<string, string | null>(async (rooms) => {
    const rows = await sql<{ room: string; owner: string }[]>`
      select r.room, r.owner from room r join relays l on l.id = r.owner
      where r.room = any(${rooms}::text[]) and r.owner <> ${relayId}
        and l.heartbeat > now() - ${lease}::interval`
    return new Map(rows.map((r) => [r.room, r.owner]))
  }, null)
  const pendingRows = perTurn<string, InboundRow[]>(async (rooms) => {
    const rows = await sql<{ room: string; id: string; event_id: string; payload: string }[]>`
      select room, id, event_id, payload from (
        select room, id, event_id, payload,
          row_number() over (partition by room order by id) as n
        from inbound where room = any(${rooms}::text[]) and done_at is null) t
      where n <= ${MAX_PENDING} order by room, id`
    const byRoom = new Map<string, InboundRow[]>()
    for (const r of rows) {
      const list = byRoom.get(r.room) ?? []
      list.push({ id: r.id, eventId: r.event_id, payload: r.payload })
      byRoom.set(r.room, list)
    }
    return byRoom
  }, [])
  const pendingOf = async ({ room, limit }: { room: string; limit: number }) =>
    (await pendingRows(room)).slice(0, Math.min(limit, MAX_PENDING))
  let doneIds: string[] = []
  let doneFlush: Promise<void> | null = null
  const markDone = (ids: string[]): Promise<void> => {
    doneIds.push(...ids)
    doneFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const batch = doneIds
      doneIds = []
      doneFlush = null
      await sql`update inbound set done_at = now()
        where id = any(${batch}::bigint[]) and done_at is null`
    })
    return doneFlush
  }

  return {
    async enqueue(items) {
      const rows = items.flatMap((item) => item.rooms.map((room) => ({ ...item, room })))
      if (rows.length === 0) return new Set()
      // Identities are drawn in the order given, so each room's rows are applied in arrival
      // order; the rows are then written in key order, so two relays taking in the same retries
      // in other orders wait for each other instead of deadlocking.
      let inserted: { event_id: string }[]
      const insert = () =>
        sql<{ event_id: string }[]>`
          insert into inbound (id, provider, event_id, room, payload) overriding system value
          select t.id, t.provider, t.event_id, t.room, t.payload
          from (
            select nextval(pg_get_serial_sequence('inbound', 'id')) as id, u.*
            from unnest(${rows.map((r) => r.provider)}::text[], ${rows.map((r) => r.eventId)}::text[],
              ${rows.map((r) => r.room)}::text[], ${rows.map((r) => r.payload)}::text[])
              with ordinality as u(provider, event_id, room, payload, ord)
            order by u.ord
          ) t
          order by t.event_id, t.room
          on conflict (event_id, room) do nothing
          returning event_id`
      try {
        // A deadlock with another writer of these rows (none known since the key order) is
        // retried: PostgreSQL aborts one statement, which then finds the other's rows.
        for (let attempt = 1; ; attempt++) {
          try {
            inserted = await insert()
            break
          } catch (cause) {
            if (!isDeadlock(cause) || attempt === 3) throw cause
          }
        }
      } catch (cause) {
        // Not taken in: the webhook is answered 503 (unavailable.ts), and the provider retries.
        if (isConnectionFailure(cause))
          throw new StorageError('io', 'PostgreSQL unreachable: webhook not queued', { cause })
        if (isDeadlock(cause))
          throw new StorageError('io', 'webhook not queued: deadlocked three times', { cause })
        throw cause
      }
      return new Set(inserted.map((r) => r.event_id))
    },
    pending: (room, limit) => pendingOf({ room, limit }),
    markDone: (ids) => (ids.length === 0 ? Promise.resolve() : markDone(ids)),
    liveOwner: (room) => liveOwner(room),
    async waiting() {
      const rows = await sql<{ room: string; mine: boolean }[]>`
        select w.room, coalesce(r.owner = ${relayId}, false) as mine
        from (select distinct room from inbound where done_at is null) w
        left join room r on r.room = w.room
        left join relays l on l.id = r.owner
        where r.owner is null or r.owner = ${relayId} or l.heartbeat is null
          or l.heartbeat <= now() - ${lease}::interval`
      return rows.map((r): WaitingRoom => ({ room: r.room, mine: r.mine }))
    },
    async prune(keepMs) {
      const gone = await sql`delete from inbound
        where done_at < now() - ${`${Math.floor(keepMs)} milliseconds`}::interval`
      return gone.count
    },
    notify(owner, room) {
      if (closed) return
      let rooms = noted.get(owner)
      if (!rooms) noted.set(owner, (rooms = new Set()))
      rooms.add(room)
      schedule()
    },
    async listen(heard, reconnected) {
      let first = true
      const { unlisten } = await sql.listen(
        INBOUND_CHANNEL,
        (payload) => {
          let notice: Notice
          try {
            notice = JSON.parse(payload) as Notice
          } catch {
            return
          }
          if (notice.to === relayId && Array.isArray(notice.rooms))
            heard(notice.rooms.filter((r): r is string => typeof r === 'string'))
        },
        () => {
          if (first) first = false
          else reconnected()
        },
      )
      return unlisten
    },
    async close() {
      closed = true
      if (timer) {
        clearTimeout(timer)
        timer = null
        sending = sending.then(send)
      }
      await sending
    },
  }
}
