/**
 * @module `@switchboard/relay/testing`: the one way tests start a relay, in this process or in a
 * child process's entry, over the production server setup.
 */
export {
  startTestRelayServer,
  TEST_SECRET,
  TEST_WEBHOOK_SECRET,
  TEST_PASSWORD_COST,
  type TestRelayServer,
  type TestRelayServerOptions,
} from './server.ts'
export { seedWorkspace, type TestWorkspace } from './workspace.ts'
export type { RelayServer, RelayServerOptions } from '../node/server.ts'
export {
  spawnRelayProcess,
  RELAY_PACKAGE,
  type RelayProcess,
  type RelayProcessOptions,
} from './process.ts'
export {
  twilioRequest,
  telnyxKeys,
  telnyxHeaders,
  quoAppHeaders,
  quoStandardHeaders,
} from '../providers/fixtures/sign.ts'
export {
  startTestPostgres,
  createTestDatabase,
  postgresBinDir,
  TEST_POSTGRES_ENV,
  type TestPostgres,
  type StartPostgresOptions,
} from './postgres.ts'
