/** @module Graceful shutdown on SIGINT/SIGTERM: close the server, remove the pid file, exit 0. */
import { rmSync } from 'node:fs'
import type { RelayServer } from './server.ts'

export type Log = (event: Record<string, unknown>) => void

/** Closes `srv` once on the first SIGINT or SIGTERM, then removes `pidFile` and exits. */
export function stopOnSignals(srv: RelayServer, pidFile: string, log: Log): void {
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log({ level: 'info', msg: 'shutting down', signal })
    srv
      .close()
      .catch((err: unknown) => log({ level: 'error', msg: 'shutdown failed', err: String(err) }))
      .finally(() => {
        rmSync(pidFile, { force: true })
        process.exit(0)
      })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
