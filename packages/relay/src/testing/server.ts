/**
 * @module The relay for tests: the production server setup (`startRelayServer`: a real Node
 * server, the frame cap, the heartbeat, the close-code mapping) on port 0 over a given store.
 */
import { join } from 'node:path'
import { startRelayServer, type RelayServer, type RelayServerOptions } from '../node/server.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import { createMemoryStorage } from '../storage/memory.ts'
import { createSqliteStorage } from '../storage/sqlite.ts'
import { createPostgresStorage } from '../storage/postgres.ts'
import { createTestDatabase, testStoreIsPostgres } from './postgres.ts'
import { seedWorkspace, type TestWorkspace } from './workspace.ts'

export const TEST_SECRET = 'test-secret-0123456789abcdef'
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret'
/**
 * The hash cost of the harness's relays unless given: a real scrypt hash, cheap enough that the
 * hundreds of sign-ins and members of a test run do not dominate its CPU. No test measures a
 * hash; production relays keep the default cost.
 */
export const TEST_PASSWORD_COST = { N: 1024, r: 8, p: 1 }

export interface TestRelayServerOptions extends Partial<RelayServerOptions> {
  /**
   * SQLite in `<dataDir>/relay.db` unless `storage` is given; memory when neither is; PostgreSQL
   * (a fresh database) for either when the run asks for it (`testStoreIsPostgres`).
   */
  dataDir?: string
  /** Seeded before the server is returned, when the store has no members yet. */
  workspace?: TestWorkspace
}

export interface TestRelayServer extends RelayServer {
  storage: RelayStorage
  /** `ws://…/sync`: append `/<room>?token=…`. */
  wsUrl: string
}

/** Starts the relay as `main()` does (same glue), quiet, with test secrets unless given. */
export async function startTestRelayServer(
  options: TestRelayServerOptions = {},
): Promise<TestRelayServer> {
  const { dataDir, workspace, ...rest } = options
  const storage =
    rest.storage ??
    (testStoreIsPostgres()
      ? await createPostgresStorage({ url: await createTestDatabase(), relayId: 'test-relay' })
      : dataDir === undefined
        ? createMemoryStorage()
        : createSqliteStorage({ path: join(dataDir, 'relay.db') }))
  const srv = await startRelayServer({
    secret: TEST_SECRET,
    webhookSecret: TEST_WEBHOOK_SECRET,
    log: () => {},
    passwordCost: TEST_PASSWORD_COST,
    ...rest,
    storage,
  })
  if (workspace) await seedWorkspace(srv.relay, workspace)
  return { ...srv, storage, wsUrl: `ws://${new URL(srv.url).host}/sync` }
}
