/**
 * @module The relay's Node entry (`tsx src/main.ts`): runs `main()` when executed directly.
 *
 * The server glue lives in src/node/: server.ts (`startRelayServer`, shared by `main()` and the
 * test harness), env.ts (the environment table), run.ts (`main`), secrets.ts, shutdown.ts.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { EnvError } from './node/env.ts'
import { main } from './node/run.ts'

export { main } from './node/run.ts'
export { startRelayServer, type RelayServer, type RelayServerOptions } from './node/server.ts'
export { EnvError, readRelayEnv, relayEnv, type RelayEnv } from './node/env.ts'

/** Errors that name a setting to change (node/open-storage.ts, storage/postgres-server-checks.ts). */
const OPERATOR_ERRORS = new Set(['StorageSettingError', 'UnsafeServerError'])

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    // A bad setting is the operator's to fix: its message says which, a stack would not.
    const operators = err instanceof EnvError || OPERATOR_ERRORS.has((err as Error)?.name)
    console.error(operators ? `switchboard-relay: ${(err as Error).message}` : err)
    process.exit(1)
  })
}
