/**
 * @module `main()`: the relay as operators run it, configured by the environment (node/env.ts).
 *
 * Keeps generated secrets in DATA_DIR (mode 0600), seeds the demo on an empty DATA_DIR, serves
 * the built web app when WEB_DIR exists, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { seedDemo } from '../demo.ts'
import { retentionMs } from '../restore.ts'
import { readRelayEnv } from './env.ts'
import type { RouteRoom } from '../relay-options.ts'
import { drainRelay, leaseHandlers } from '../scale/drain.ts'
import { createSuccessors, listenForHandOffs } from '../scale/room-successors.ts'
import { startRelayRegistry } from '../scale/relay-registry.ts'
import { createRoomRouter } from '../scale/room-router.ts'
import type { PostgresStorage } from '../storage/postgres.ts'
import type { RelayEnv } from './env.ts'
import { openStorage } from './open-storage.ts'
import { startRelayServer, type RelayServer } from './server.ts'
import { stopOnSignals, type Log } from './shutdown.ts'

/** Starts the relay from `env`; a bad setting rejects before DATA_DIR is touched. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RelayServer> {
  const settings = readRelayEnv(env)
  const { PORT: port, HOST: host } = settings
  const dataDir = resolve(settings.DATA_DIR)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const { storage, postgres, secret, webhookSecret, relayId, ifEmpty } = await openStorage(
    settings,
    dataDir,
  )
  // On PostgreSQL, rooms another live relay owns are proxied there once the registry runs.
  let route: RouteRoom | null = null
  const allowedOrigins = settings.ALLOWED_ORIGINS ?? [
    `http://${host}:${port}`,
    `http://localhost:${port}`,
    'http://localhost:5173',
    'http://127.0.0.1:5173',
  ]
  const log: Log = (event) => console.log(JSON.stringify({ t: new Date().toISOString(), ...event }))
  const seeded: { demo?: { password: string; members: { email: string; role: string }[] } } = {}
  const srv = await startRelayServer({
    storage,
    secret,
    webhookSecret,
    allowedOrigins,
    relayUrls: settings.RELAY_PUBLIC_URLS,
    metricsToken: settings.METRICS_TOKEN,
    credentialsKey: settings.CREDENTIALS_KEY,
    publicUrl: settings.PUBLIC_URL,
    providerApiBases: {
      twilio: settings.TWILIO_API_BASE,
      telnyx: settings.TELNYX_API_BASE,
      quo: settings.QUO_API_BASE,
    },
    port,
    host,
    webhookPort: settings.WEBHOOK_PORT,
    webhookNice: settings.WEBHOOK_NICE,
    webDir: settings.WEB_DIR === undefined ? undefined : resolve(settings.WEB_DIR),
    tokenTtlSeconds: settings.TOKEN_TTL_SECONDS,
    sessionTtlSeconds: settings.SESSION_TTL_SECONDS,
    maxFrameBytes: settings.MAX_FRAME_BYTES,
    maxSyncFrameBytes: settings.MAX_SYNC_FRAME_BYTES,
    maxSocketsPerMember: settings.MAX_SOCKETS_PER_MEMBER,
    maxSyncBytesPerMember: settings.MAX_SYNC_BYTES_PER_MEMBER,
    maxPresenceBytes: settings.MAX_PRESENCE_BYTES,
    presenceUpdatesPerSecond: settings.PRESENCE_UPDATES_PER_SECOND,
    epochEvery: settings.EPOCH_EVERY,
    historyHorizonMs: settings.HISTORY_HORIZON_MS,
    restoreRetentionMs: retentionMs(settings.RESTORE_RETENTION_DAYS),
    compactEvery: settings.COMPACT_EVERY,
    // A busy room compacts in its next pause (up to a log as big as its snapshot).
    compactQuietMs: settings.COMPACT_QUIET_MS,
    epochOnLoad: { items: settings.EPOCH_LOAD_ITEMS, writers: settings.EPOCH_LOAD_WRITERS },
    relayId,
    ...(postgres ? { routeRoom: (room: string) => (route ? route(room) : self) } : {}),
    async beforeListen(relay) {
      if (!settings.DEMO) return
      await ifEmpty(async () => {
        const password = settings.SWITCHBOARD_DEMO_PASSWORD ?? randomBytes(9).toString('base64url')
        const started = Date.now()
        const result = await seedDemo(relay, { password })
        log({
          level: 'info',
          msg: 'demo workspace seeded',
          ms: Date.now() - started,
          ...result.counts,
        })
        seeded.demo = { password, members: result.members }
      })
    },
  })
  const served = postgres
    ? await joinRelays(srv, postgres, settings, relayId, log, (r) => (route = r))
    : srv
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
  log({
    level: 'info',
    msg: 'relay listening',
    url: srv.url,
    ...(srv.webhooks ? { webhooks: srv.webhooks.url } : {}),
    ...(settings.DATABASE_URL ? { store: 'postgresql', relayId } : { dataDir }),
  })
  stopOnSignals(served, pidFile, log)
  return served
}

const self = Promise.resolve('self' as const)

/**
 * Registers this relay among those sharing the database and routes rooms by their owners'
 * leases; it stops serving while its lease may have lapsed, and closing the server drains it
 * first (scale/drain.ts), so others may take its rooms at once.
 */
async function joinRelays(
  srv: RelayServer,
  postgres: PostgresStorage,
  settings: Pick<RelayEnv, 'RELAY_INTERNAL_URL' | 'LEASE_MS' | 'HEARTBEAT_MS'>,
  relayId: string,
  log: Log,
  setRoute: (route: RouteRoom) => void,
): Promise<RelayServer> {
  const giveUp = { relay: srv.relay, storage: postgres, log }
  const registry = await startRelayRegistry(postgres.sql, {
    relayId,
    internalUrl: settings.RELAY_INTERNAL_URL ?? srv.url,
    leaseMs: settings.LEASE_MS,
    heartbeatMs: settings.HEARTBEAT_MS,
    ...leaseHandlers(giveUp),
  })
  setRoute(
    createRoomRouter(postgres.sql, relayId, settings.LEASE_MS, (room) =>
      srv.relay.handoff.serves(room),
    ),
  )
  // Rooms a draining relay hands over are loaded here before their clients arrive.
  const unlisten = await listenForHandOffs(postgres.sql, relayId, (rooms) =>
    srv.relay.handoff.prepare(rooms),
  ).catch((err: unknown) => {
    log({ level: 'warn', msg: 'room hand-offs not heard', err: String(err) })
    return null
  })
  const successors = createSuccessors(postgres.sql, registry, log)
  let closing: Promise<void> | null = null
  return {
    ...srv,
    close: () =>
      (closing ??= (async () => {
        await drainRelay({ ...giveUp, registry, successors })
        await unlisten?.().catch(() => {})
        await srv.close()
      })()),
  }
}
