/**
 * @module The relays sharing one PostgreSQL database, and which of them should own a room
 * (docs/scale-out.md "Relays and leases"). Each relay renews its row's heartbeat every
 * `heartbeatMs` with the database's clock; a relay whose heartbeat is older than `leaseMs` is
 * dead to the others, and may have its rooms taken over. A relay that cannot renew stops serving
 * before its lease runs out (`onLost`), so a room never has two serving owners.
 */
import type { Sql } from '../storage/postgres-connect.ts'
import { migrateRelays } from '../storage/postgres-relays-schema.ts'
import { rendezvousOwner } from './rendezvous.ts'

export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_LEASE_MS = 5000

export interface RelayRecord {
  id: string
  /** Where the other relays reach it (the relay link). */
  url: string
}

export interface RelayRegistryOptions {
  relayId: string
  internalUrl: string
  heartbeatMs?: number
  leaseMs?: number
  /** The lease may have lapsed: stop serving every room now (called once per loss). */
  onLost?: () => void
  /** Renewal works again after a loss; rooms must be claimed again (a new fence). */
  onRegained?: () => void
  /** A renewal failed or was not answered in time (the error), for the log. */
  onError?: (error: unknown) => void
  /** A renewal was answered in time (the lease runs from when it was sent). */
  onRenewed?: () => void
}

export interface RelayRegistry {
  readonly relayId: string
  /** False from a lost lease until renewal works again. */
  readonly serving: boolean
  /** The relays whose heartbeat is within the lease, this one included (cached per heartbeat). */
  live(): Promise<RelayRecord[]>
  /** The live relay that should own `room` (rendezvous hashing; draining relays never). */
  preferredOwner(room: string): Promise<RelayRecord>
  /** Stops being chosen for rooms (SIGTERM: the rooms move away before the relay stops). */
  drain(): Promise<void>
  /** Stops renewing and gives the lease up at once, so others take over without waiting. */
  stop(): Promise<void>
}

/** Registers this relay (a restart under the same id takes its row over) and starts renewing. */
export async function startRelayRegistry(
  sql: Sql,
  options: RelayRegistryOptions,
): Promise<RelayRegistry> {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  if (heartbeatMs * 2 > leaseMs)
    throw new Error(`HEARTBEAT_MS (${heartbeatMs}) must be at most half of LEASE_MS (${leaseMs})`)
  await migrateRelays(sql)
  const { relayId, internalUrl } = options
  await sql`insert into relays (id, url, heartbeat) values (${relayId}, ${internalUrl}, now())
    on conflict (id) do update set url = excluded.url, heartbeat = now(), draining = false,
    started_at = now()`

  // The lease is counted from when a renewal was sent, not when it was answered.
  let renewedAt = performance.now()
  let serving = true
  let stopped = false
  let cache: { at: number; relays: RelayRecord[] } | null = null

  /**
   * Each renewal's own deadline, well inside the lease: one answered later proves nothing (its
   * lease began when it was sent), and the next may find PostgreSQL back, so a relay stops
   * serving in time and serves again as soon as PostgreSQL answers, not when a connection
   * attempt gives up (postgres.js waits 30 s).
   */
  const attemptMs = Math.floor(leaseMs / 2)
  /** Renewals sent and not answered: at most two, so an outage never piles statements up. */
  let unanswered = 0
  /** The attempt still within its deadline (the next waits for it), or 0. */
  let current = 0
  let attempts = 0

  const renewed = (sentAt: number) => {
    renewedAt = Math.max(renewedAt, sentAt)
    options.onRenewed?.()
    if (!serving && !stopped) {
      serving = true
      options.onRegained?.()
    }
  }
  const renew = () => {
    if (stopped || current !== 0 || unanswered >= 2) return
    const id = (current = ++attempts)
    unanswered++
    const sentAt = performance.now()
    const deadline = setTimeout(() => {
      if (current === id) current = 0
      options.onError?.(new Error(`heartbeat renewal not answered within ${attemptMs} ms`))
    }, attemptMs)
    deadline.unref()
    // A relay that stopped (heartbeat at the epoch) is never revived by a renewal landing late.
    void sql`update relays set heartbeat = now()
      where id = ${relayId} and heartbeat > 'epoch' returning id`.then(
      (rows) => {
        clearTimeout(deadline)
        unanswered--
        if (current === id) current = 0
        if (stopped) return
        if (rows.length === 0) options.onError?.(new Error(`relay ${relayId} is not registered`))
        else if (performance.now() - sentAt <= attemptMs) renewed(sentAt)
        // Answered late: PostgreSQL answers again, and a renewal sent now proves a lease.
        else renew()
      },
      (error: unknown) => {
        clearTimeout(deadline)
        unanswered--
        if (current === id) current = 0
        options.onError?.(error)
      },
    )
  }
  // Gives up one heartbeat before the lease ends: the others may take over only after it ends.
  const watch = () => {
    if (serving && performance.now() - renewedAt > leaseMs - heartbeatMs) {
      serving = false
      options.onLost?.()
    }
  }
  const timer = setInterval(() => {
    watch()
    renew()
  }, heartbeatMs)
  const watchdog = setInterval(watch, Math.max(10, Math.floor(heartbeatMs / 4)))
  timer.unref()
  watchdog.unref()

  const live = async (): Promise<RelayRecord[]> => {
    const now = performance.now()
    if (cache && now - cache.at < heartbeatMs) return cache.relays
    const rows = await sql<{ id: string; url: string; draining: boolean }[]>`
      select id, url, draining from relays
      where heartbeat > now() - ${leaseMs}::integer * interval '1 millisecond' order by id`
    const relays = rows.map((r) => ({ id: r.id, url: r.url, draining: r.draining }))
    cache = { at: now, relays }
    return relays
  }

  return {
    relayId,
    get serving() {
      return serving
    },
    live: async () => (await live()).map(({ id, url }) => ({ id, url })),
    async preferredOwner(room) {
      const relays = (await live()) as (RelayRecord & { draining?: boolean })[]
      const candidates = relays.filter((r) => !r.draining)
      const pool = candidates.length > 0 ? candidates : relays
      const self = { id: relayId, url: internalUrl }
      if (pool.length === 0) return self
      const id = rendezvousOwner(
        room,
        pool.map((r) => r.id),
      )
      const chosen = pool.find((r) => r.id === id)!
      return { id: chosen.id, url: chosen.url }
    },
    async drain() {
      await sql`update relays set draining = true where id = ${relayId}`
      cache = null
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      clearInterval(watchdog)
      // Not after a renewal in flight: one that lands later finds the epoch and changes nothing.
      await sql`update relays set heartbeat = 'epoch' where id = ${relayId}`.catch(() => {})
    },
  }
}
