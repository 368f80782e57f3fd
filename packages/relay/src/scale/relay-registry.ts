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
  /** A renewal failed (the error), for the log. */
  onError?: (error: unknown) => void
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

  const renew = async () => {
    const sentAt = performance.now()
    try {
      const rows = await sql`update relays set heartbeat = now() where id = ${relayId} returning id`
      if (rows.length === 0) throw new Error(`relay ${relayId} is no longer registered`)
      renewedAt = sentAt
      if (!serving && !stopped) {
        serving = true
        options.onRegained?.()
      }
    } catch (error) {
      options.onError?.(error)
    }
  }
  // Gives up one heartbeat before the lease ends: the others may take over only after it ends.
  const watch = () => {
    if (serving && performance.now() - renewedAt > leaseMs - heartbeatMs) {
      serving = false
      options.onLost?.()
    }
  }
  let renewing: Promise<void> = Promise.resolve()
  let inFlight = false
  const timer = setInterval(() => {
    watch()
    // One renewal at a time: while PostgreSQL is away the ticks would otherwise queue hundreds
    // of attempts, each waiting its turn after it comes back.
    if (inFlight) return
    inFlight = true
    renewing = renew().finally(() => (inFlight = false))
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
      await renewing
      await sql`update relays set heartbeat = 'epoch' where id = ${relayId}`.catch(() => {})
    },
  }
}
