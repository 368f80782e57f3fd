/**
 * A room-owning relay as a child process for the relay link's tests (killed with SIGKILL): the
 * harness's server on a SQLite file in DATA_DIR, the relay package's test workspace and secret.
 */
import { join } from 'node:path'
import { createSqliteStorage } from '../storage/sqlite.ts'
import { SECRET, WEBHOOK_SECRET, WORKSPACE } from '../test-helpers.ts'
import { startTestRelayServer } from '../testing/index.ts'

const srv = await startTestRelayServer({
  secret: SECRET,
  webhookSecret: WEBHOOK_SECRET,
  workspace: WORKSPACE,
  storage: createSqliteStorage({ path: join(process.env.DATA_DIR!, 'relay.db') }),
  relayId: 'owner',
})
console.log(JSON.stringify({ msg: 'relay listening', url: srv.url }))
