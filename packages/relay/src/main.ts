/**
 * @module The relay's Node entry (`tsx src/main.ts`); the server glue lives in src/node/.
 *
 * `startRelayServer` is what tests and `main()` share; `main()` reads the environment, keeps
 * generated secrets in DATA_DIR (mode 0600), seeds the demo on an empty DATA_DIR, serves the
 * built web app when WEB_DIR exists, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { seedDemo } from './demo.ts'
import { retentionMs } from './restore.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { startRelayServer, type RelayServer } from './node/server.ts'

export { startRelayServer, type RelayServer, type RelayServerOptions } from './node/server.ts'

function secretFrom(dataDir: string, name: string, env: string | undefined): string {
  if (env) return env
  const path = join(dataDir, name)
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' })
  return secret
}

/** A non-negative whole number (ms, count) from the environment, or undefined when unset. */
export function wholeNumberEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`)
  return value
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RelayServer> {
  // Read before anything touches DATA_DIR: a mistyped setting stops the start, nothing else.
  const historyHorizonMs = wholeNumberEnv(env, 'HISTORY_HORIZON_MS')
  const restoreRetentionDays = wholeNumberEnv(env, 'RESTORE_RETENTION_DAYS')
  const compactEvery = wholeNumberEnv(env, 'COMPACT_EVERY')
  const compactQuietMs = wholeNumberEnv(env, 'COMPACT_QUIET_MS')
  const epochLoadItems = wholeNumberEnv(env, 'EPOCH_LOAD_ITEMS')
  const epochLoadWriters = wholeNumberEnv(env, 'EPOCH_LOAD_WRITERS')
  const maxSocketsPerMember = wholeNumberEnv(env, 'MAX_SOCKETS_PER_MEMBER')
  const maxSyncBytesPerMember = wholeNumberEnv(env, 'MAX_SYNC_BYTES_PER_MEMBER')
  const maxPresenceBytes = wholeNumberEnv(env, 'MAX_PRESENCE_BYTES')
  const presenceUpdatesPerSecond = wholeNumberEnv(env, 'PRESENCE_UPDATES_PER_SECOND')
  const port = Number(env.PORT ?? 8787)
  const host = env.HOST ?? '127.0.0.1'
  const dataDir = resolve(env.DATA_DIR ?? './data')
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const secret = secretFrom(dataDir, 'switchboard-secret', env.SWITCHBOARD_SECRET)
  const webhookSecret = secretFrom(dataDir, 'webhook-secret', env.WEBHOOK_SECRET)
  const allowedOrigins = env.ALLOWED_ORIGINS
    ? env.ALLOWED_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : [
        `http://${host}:${port}`,
        `http://localhost:${port}`,
        'http://localhost:5173',
        'http://127.0.0.1:5173',
      ]
  const storage = createSqliteStorage({ path: join(dataDir, 'relay.db') })
  const log = (event: Record<string, unknown>) =>
    console.log(JSON.stringify({ t: new Date().toISOString(), ...event }))
  const seeded: { demo?: { password: string; members: { email: string; role: string }[] } } = {}
  const srv = await startRelayServer({
    storage,
    secret,
    webhookSecret,
    allowedOrigins,
    metricsToken: env.METRICS_TOKEN || undefined,
    port,
    host,
    webDir: env.WEB_DIR ? resolve(env.WEB_DIR) : undefined,
    tokenTtlSeconds: env.TOKEN_TTL_SECONDS ? Number(env.TOKEN_TTL_SECONDS) : undefined,
    sessionTtlSeconds: env.SESSION_TTL_SECONDS ? Number(env.SESSION_TTL_SECONDS) : undefined,
    maxFrameBytes: env.MAX_FRAME_BYTES ? Number(env.MAX_FRAME_BYTES) : undefined,
    maxSyncFrameBytes: env.MAX_SYNC_FRAME_BYTES ? Number(env.MAX_SYNC_FRAME_BYTES) : undefined,
    maxSocketsPerMember,
    maxSyncBytesPerMember,
    maxPresenceBytes,
    presenceUpdatesPerSecond,
    epochEvery: env.EPOCH_EVERY ? Number(env.EPOCH_EVERY) : undefined,
    historyHorizonMs,
    restoreRetentionMs: retentionMs(restoreRetentionDays),
    compactEvery,
    // A busy room compacts in its next 1-s pause (up to a log as big as its snapshot).
    compactQuietMs: compactQuietMs ?? 1000,
    epochOnLoad: {
      items: epochLoadItems ?? 50_000,
      writers: epochLoadWriters ?? 2_000,
    },
    async beforeListen(relay) {
      if (env.DEMO === '0' || storage.listMembers().length > 0) return
      const password = env.SWITCHBOARD_DEMO_PASSWORD || randomBytes(9).toString('base64url')
      const started = Date.now()
      const result = await seedDemo(relay, { password })
      log({
        level: 'info',
        msg: 'demo workspace seeded',
        ms: Date.now() - started,
        ...result.counts,
      })
      seeded.demo = { password, members: result.members }
    },
  })
  const pidFile = join(dataDir, 'relay.pid')
  writeFileSync(pidFile, String(process.pid), { mode: 0o600 })
  if (seeded.demo) {
    const { password, members } = seeded.demo
    console.log(
      `\nDemo workspace — sign in at ${srv.url} with password ${password}:\n` +
        members.map((m) => `  ${m.email.padEnd(20)} ${m.role}`).join('\n') +
        '\n',
    )
  }
  log({ level: 'info', msg: 'relay listening', url: srv.url, dataDir })
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
  return srv
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
