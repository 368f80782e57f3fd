/**
 * @module Login throttling [A1]–[A4] on PostgreSQL: the attempt counts, waits and known addresses
 * live in the database every relay of the store shares, so an attacker spreading guesses over
 * several relays, or waiting for a restart, gets no more attempts than against one relay.
 *
 * Admitting is one call of `login_admit`, one round trip that locks the attempt's two keys (in key
 * order, so two admissions never deadlock), refuses a waiting key uncounted, and counts both keys
 * otherwise; parallel attempts on any relays therefore see each other before a hash starts [A1].
 */
import type { LoginAdmission, LoginCounts, LoginLimits, LoginTicket } from '../login-throttle.ts'
import { DEFAULT_LOGIN_LIMITS } from '../login-throttle.ts'
import type { Sql } from './postgres-connect.ts'
import { migratePart, type MigrationStep } from './postgres-migrations.ts'
import type { RelayStorage } from './relay-storage.ts'

const STEPS: MigrationStep[] = [
  `create table login_attempts (
    key text primary key,
    count integer not null,
    last_at bigint not null,
    until_at bigint not null
  );
  create index login_attempts_forget on login_attempts ((greatest(last_at, until_at)));
  create table login_known (
    email text not null,
    address text not null,
    at bigint not null,
    primary key (email, address)
  );
  create index login_known_at on login_known (at);
  create function login_admit(p_email text, p_address text, p_now bigint, p_per_email integer,
    p_per_ip integer, p_window bigint, p_base bigint, p_max bigint, p_known_ms bigint)
  returns table (o_known boolean, o_wait bigint, o_limited_by text)
  language plpgsql as $fn$
  declare
    v_known boolean;
    v_keys text[];
    v_allow integer[];
    v_waits bigint[] := array[0, 0];
    r login_attempts;
  begin
    v_known := exists (select 1 from login_known k
      where k.email = p_email and k.address = p_address and p_now - k.at < p_known_ms);
    v_keys := array['a ' || p_address,
      case when v_known then 'p ' || p_email || ' ' || p_address else 'e ' || p_email end];
    v_allow := array[p_per_ip, p_per_email];
    insert into login_attempts as t (key, count, last_at, until_at)
      select k, 0, p_now, 0 from unnest(v_keys) k order by k
      on conflict (key) do nothing;
    perform 1 from login_attempts t where t.key = any(v_keys) order by t.key for update;
    for i in 1..2 loop
      select * into r from login_attempts t where t.key = v_keys[i];
      if p_now - greatest(r.last_at, r.until_at) >= p_window then
        update login_attempts t set count = 0, until_at = 0 where t.key = v_keys[i];
      else
        v_waits[i] := greatest(0, r.until_at - p_now);
      end if;
    end loop;
    if v_waits[1] > 0 or v_waits[2] > 0 then
      return query select v_known, greatest(v_waits[1], v_waits[2]),
        case when v_waits[1] >= v_waits[2] then 'address' else 'email' end;
      return;
    end if;
    for i in 1..2 loop
      update login_attempts t set count = t.count + 1, last_at = p_now,
        until_at = case when t.count + 1 >= v_allow[i]
          then p_now + least(p_max::numeric,
            p_base * power(2::numeric, least(t.count + 1 - v_allow[i], 40)))::bigint
          else t.until_at end
      where t.key = v_keys[i];
    end loop;
    return query select v_known, 0::bigint, null::text;
  end
  $fn$;`,
]

/** Brings the lockout tables up to date (createPostgresStorage runs it with the other parts). */
export const migrateLockouts = (sql: Sql): Promise<number> => migratePart(sql, 'lockouts', STEPS)

/** The store's pool when it is PostgreSQL (its counts are then shared), else null. */
export const postgresPoolOf = (storage: RelayStorage): Sql | null =>
  'sql' in storage && typeof storage.sql === 'function' ? (storage.sql as Sql) : null

/** Forgotten keys and stale known addresses are deleted at most this often. */
const SWEEP_EVERY_MS = 60_000

/** Login counts in the database every relay of the store shares. */
export function createPostgresLockouts(sql: Sql, limits: LoginLimits): LoginCounts {
  const l = { ...DEFAULT_LOGIN_LIMITS, ...limits }
  let sweptAt = -Infinity
  const sweep = (now: number) => {
    if (now - sweptAt < SWEEP_EVERY_MS) return
    sweptAt = now
    // Best effort: a key left over is forgotten by the next admission's window check anyway.
    void sql`
      with a as (delete from login_attempts
        where greatest(last_at, until_at) <= ${now - l.windowMs})
      delete from login_known where at <= ${now - l.knownAddressMs}`.catch(() => {})
  }
  const keysOf = (email: string, address: string, known: boolean) => [
    `a ${address}`,
    known ? `p ${email} ${address}` : `e ${email}`,
  ]

  return {
    async admit(email, address, now): Promise<LoginAdmission> {
      sweep(now)
      const [row] = await sql<{ o_known: boolean; o_wait: string; o_limited_by: string | null }[]>`
        select * from login_admit(${email}, ${address}, ${now}, ${l.perEmail}, ${l.perIp},
          ${l.windowMs}, ${l.baseDelayMs}, ${l.maxDelayMs}, ${l.knownAddressMs})`
      const wait = Number(row!.o_wait)
      if (wait > 0)
        return {
          ok: false,
          retryAfterMs: wait,
          limitedBy: row!.o_limited_by === 'email' ? 'email' : 'address',
        }
      const known = row!.o_known
      return { ok: true, ticket: { email, address, keys: keysOf(email, address, known), known } }
    },

    async succeeded(ticket: LoginTicket, now: number) {
      const [addressKey, emailKey] = ticket.keys
      const { email, address } = ticket
      // One round trip; the member keeps at most 16 known addresses, the newest.
      await sql`
        with cleared as (delete from login_attempts where key = ${emailKey!}),
        given as (update login_attempts set count = greatest(count - 1, 0)
          where key = ${addressKey!}),
        known as (insert into login_known (email, address, at) values (${email}, ${address}, ${now})
          on conflict (email, address) do update set at = excluded.at)
        delete from login_known where email = ${email} and address <> ${address}
          and address not in (select address from login_known
            where email = ${email} and address <> ${address} order by at desc limit 15)`
    },

    async cancel(ticket: LoginTicket) {
      await sql`update login_attempts set count = greatest(count - 1, 0)
        where key = any(${sql.array([...ticket.keys])})`
    },
  }
}
