/**
 * @module The only file that knows Node: HTTP server, `ws` upgrade glue, environment, signals.
 *
 * `startRelayServer` is what tests and `main()` share; `main()` reads the environment, keeps
 * generated secrets in DATA_DIR (mode 0600), seeds the demo on an empty DATA_DIR, serves the
 * built web app when WEB_DIR exists, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { serve, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { serveStatic } from '@hono/node-server/serve-static'
import { createNodeWebSocket } from '@hono/node-ws'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import type { WebSocket } from 'ws'
import { seedDemo } from './demo.ts'
import { CloseCode } from '@switchboard/protocol'
import { createRelay, type Relay, type RelayOptions } from './relay.ts'
import { retentionMs } from './restore.ts'
import { webAppScriptHashes } from './node/script-hashes.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { gateFrames } from './node/ws-frame.ts'
import { wsSocketAdapter } from './node/ws-socket.ts'

// @hono/node-ws builds an ErrorEvent for socket errors; Node 20 has none, so its onError never ran.
const globals = globalThis as unknown as Record<string, unknown>
globals.ErrorEvent ??= class ErrorEvent extends Event {
  readonly error: unknown
  readonly message: string
  constructor(type: string, init: { error?: unknown; message?: string } = {}) {
    super(type)
    this.error = init.error
    this.message = init.message ?? String(init.error ?? '')
  }
}

export interface RelayServerOptions extends Omit<RelayOptions, 'upgradeWebSocket'> {
  port?: number
  host?: string
  /** Directory of the built SPA, served with an index.html fallback. */
  webDir?: string
  /** WebSocket ping interval; a socket that missed a pong by the next one is dropped. */
  heartbeatMs?: number
  /** Runs before the port opens (e.g. the demo seed), so /healthz never answers a half-made relay. */
  beforeListen?: (relay: Relay) => Promise<void>
}

export interface RelayServer {
  relay: Relay
  server: ServerType
  port: number
  url: string
  close(): Promise<void>
}

/** Starts the relay on a Node HTTP server (port 0 picks a free port). */
export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const root = new Hono()
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app: root })
  const webDir =
    options.webDir && existsSync(join(options.webDir, 'index.html')) ? options.webDir : null
  const relay = createRelay({
    ...options,
    // The CSP allows the built app's inline bootstrap script by its hash, read once at start.
    scriptHashes: options.scriptHashes ?? (webDir ? webAppScriptHashes(webDir) : []),
    upgradeWebSocket,
    socketAdapter: wsSocketAdapter,
    clientIp: (c) => {
      try {
        return getConnInfo(c).remote.address
      } catch {
        return undefined
      }
    },
  })
  // `ws` reads maxPayload at each upgrade; the frame gate (ws-frame.ts) then sets each message's
  // cap from its first bytes, so any frame over its cap is refused before it is buffered [L6].
  wss.options.maxPayload = relay.maxSyncFrameBytes
  const caps = { frame: relay.maxFrameBytes, sync: relay.maxSyncFrameBytes }
  // Dead peers (no pong within a heartbeat) are terminated, so their rooms can unload.
  const alive = new WeakSet<WebSocket>()
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate()
        continue
      }
      alive.delete(ws)
      ws.ping()
    }
  }, options.heartbeatMs ?? 30_000)
  heartbeat.unref()
  /** Sockets whose big sync step 2 was refused for the member's budget: 4429, not 4413. */
  const overBudget = new WeakSet<WebSocket>()
  wss.on('connection', (ws: WebSocket) => {
    // False only with a `ws` whose internals changed (ws-frame.test.ts pins them): frames are
    // then held to the sync cap by `ws` and to their own cap by the relay after buffering.
    gateFrames(ws, {
      ...caps,
      budget: { ...relay.syncBudget(ws), refused: () => overBudget.add(ws) },
    })
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
    const close = ws.close.bind(ws)
    // ws closes oversized frames with 1009; the shared contract says 4413 (4429 when it is the
    // member's budget of big step 2s that is full: retrying later works).
    ws.close = (code?: number, reason?: string | Buffer) =>
      code !== 1009
        ? close(code, reason)
        : overBudget.has(ws)
          ? close(CloseCode.SlowConsumer, 'member has too many big sync messages in flight, retry')
          : close(CloseCode.TooLarge, 'frame too large')
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        relay.reportRejectedFrame(overBudget.has(ws) ? 'sync-budget' : 'too-large', err.message)
      else relay.reportRejectedFrame('socket-error', `${err.code ?? ''} ${err.message}`)
    })
  })
  root.route('/', relay.app)
  if (webDir) {
    root.use('*', serveStatic({ root: webDir }))
    root.get('*', serveStatic({ path: join(webDir, 'index.html') }))
  }
  await options.beforeListen?.(relay)
  const server = await new Promise<ServerType>((res) => {
    const s = serve(
      { fetch: root.fetch, port: options.port ?? 0, hostname: options.host ?? '127.0.0.1' },
      () => res(s),
    )
  })
  injectWebSocket(server)
  server.on('clientError', (_err, socket) => socket.destroy())
  const port = (server.address() as AddressInfo).port
  return {
    relay,
    server,
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    async close() {
      clearInterval(heartbeat)
      server.close()
      await relay.close()
      // Sockets got 1001; give their closing handshakes a moment, then drop what is left.
      await new Promise((r) => setTimeout(r, 100))
      for (const ws of wss.clients) ws.terminate()
      ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
    },
  }
}

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
