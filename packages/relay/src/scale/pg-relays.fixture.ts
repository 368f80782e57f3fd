/**
 * Relays on one PostgreSQL database for the scale tests (docs/scale-out.md): each registered
 * (heartbeats) and routing rooms by their owners, as `main()` runs them; and what a test reads of
 * a room's ownership straight from the database.
 */
import type { RouteRoom } from '../relay-options.ts'
import { createPostgresStorage, type PostgresStorage } from '../storage/postgres.ts'
import type { Sql } from '../storage/postgres-connect.ts'
import { startTestRelay, type TestRelay } from '../test-helpers.ts'
import type { RelayServerOptions } from '../testing/index.ts'
import { startRelayRegistry, type RelayRegistry } from './relay-registry.ts'
import { createRoomRouter } from './room-router.ts'

export interface PgRelay {
  server: TestRelay
  storage: PostgresStorage
  registry: RelayRegistry
}

const running: PgRelay[] = []

/** Stops every relay `pgRelay` started (call in `afterAll`). */
export async function stopPgRelays(): Promise<void> {
  for (const r of running.splice(0)) {
    await r.registry.stop()
    await r.server.close()
  }
}

/**
 * A relay on the database at `url`, registered (heartbeats) and routing rooms by their owners;
 * `options` are the harness's (providers, outbox timing…).
 */
export async function pgRelay(
  url: string,
  relayId: string,
  leaseMs: number,
  options: Partial<RelayServerOptions> = {},
): Promise<PgRelay> {
  const storage = await createPostgresStorage({ url, relayId, leaseMs })
  let route: RouteRoom | null = null
  const relay = await startTestRelay({
    ...options,
    storage,
    relayId,
    routeRoom: (room) => (route ? route(room) : Promise.resolve('self' as const)),
  })
  const registry = await startRelayRegistry(storage.sql, {
    relayId,
    internalUrl: relay.url,
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / 4),
  })
  route = createRoomRouter(storage.sql, relayId, leaseMs)
  await storage.whenDurable()
  const r = { server: relay, storage, registry }
  running.push(r)
  return r
}

/** The room's owner and fence as stored, or null when no relay ever claimed it. */
export async function roomRow(sql: Sql, room: string) {
  const [row] = await sql<{ owner: string; fence: string }[]>`
    select owner, fence from room where room = ${room}`
  return row ?? null
}

/** Waits for a condition the database answers. */
export async function eventually(check: () => Promise<boolean>, what: string, limitMs = 10_000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
