/**
 * @module createRelay(options) → a Hono app plus the handles that operate it.
 *
 * Composes the relay's parts and knows no runtime: `upgradeWebSocket` and the socket adapter come
 * from the runtime glue (src/node/). Each part gets what it uses here; none reaches back.
 */
import type { Activity, IngestResult } from '@switchboard/core'
import { Hono } from 'hono'
import type * as Y from 'yjs'
import { createAccess } from './access.ts'
import { createAdmin, type Admin } from './admin.ts'
import { useApiMiddleware } from './api-middleware.ts'
import type { Connection } from './connection.ts'
import { Expiries } from './expiries.ts'
import { createConnections, type SyncBudget } from './connections.ts'
import { createLinkVerifier, deriveLinkKey, LINK_PATH } from './scale/link-auth.ts'
import { createLinkPool } from './scale/link-pool.ts'
import type { ProxiedSocket } from './scale/link-proxy.ts'
import { createRoomHandoff, type RoomHandoff } from './scale/room-handoff.ts'
import { linkRoutes } from './scale/link-server.ts'
import { createEpochs, type EpochReport } from './epochs.ts'
import { createAuthenticate, type Vars } from './http.ts'
import { createDeliveries } from './deliveries.ts'
import { answerError } from './error-answers.ts'
import { createIngestion } from './scale/inbound-queue.ts'
import { readWithoutClaim, withTakeover } from './scale/room-takeover.ts'
import { createOwnerRequests } from './scale/owner-requests.ts'
import { createInvites, type Invites } from './invites.ts'
import { createLastSeen } from './last-seen.ts'
import { HashSlots, LoginThrottle } from './login-throttle.ts'
import { createPostgresLockouts, postgresPoolOf } from './storage/postgres-lockouts.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createOutboxSender, type OutboxSender } from './outbox-sender.ts'
import { createOwnership } from './ownership.ts'
import { createCredentialVault } from './providers/credential-vault.ts'
import type { ProviderAccounts } from './providers/provider-account.ts'
import { createProviderAccounts } from './providers/provider-accounts.ts'
import { createQuoCalls } from './providers/quo-calls.ts'
import { CloseCode } from '@switchboard/protocol'
import { resolveOptions, type RelayOptions } from './relay-options.ts'
import { Room } from './room.ts'
import { createRoomRegistry, type RoomRegistry } from './room-registry.ts'
import { activityRoutes } from './routes/activities.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { historyRoutes } from './routes/history.ts'
import { inviteRoutes } from './routes/invites.ts'
import { meRoutes } from './routes/me.ts'
import { opsRoutes } from './routes/ops.ts'
import { outgoingRoutes } from './routes/outgoing.ts'
import { providerWebhookRoutes } from './routes/provider-webhooks.ts'
import { relaysRoutes } from './routes/relays.ts'
import { syncRoutes } from './routes/sync.ts'
import { securityHeaders } from './security-headers.ts'
import { createTriageRules, type TriageRules } from './triage-rules.ts'
import { triageRuleRoutes } from './routes/triage-rules.ts'
import { createSessions } from './sessions.ts'
import type { RelayStorage } from './storage/relay-storage.ts'
import { createWebhookHost, type WebhookHost } from './webhook-host.ts'

export type { RelayOptions } from './relay-options.ts'
export type { EpochReport } from './epochs.ts'
export { AdminError } from './admin.ts'
export type { Admin, Actor, NewMember, SessionView } from './admin.ts'

export interface Relay {
  app: Hono
  storage: RelayStorage
  metrics: Metrics
  readonly maxFrameBytes: number
  readonly maxSyncFrameBytes: number
  readonly maxSocketsPerMember: number
  readonly maxSyncBytesPerMember: number
  readonly maxPresenceBytes: number
  readonly presenceUpdatesPerSecond: number
  /** Applies activities as the relay's own peer, durably, and broadcasts them. */
  ingest(activity: Activity): Promise<IngestResult>
  /** Runs `fn` on a room's document as the relay; resolves once the change is durable. */
  writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** Rebuilds an inbox room into a new epoch now (docs/bounded-documents.md). */
  startEpoch(name: string): Promise<EpochReport>
  admin: Admin
  /** Invitations [I1]–[I8] (the CLI makes them too). */
  invites: Invites
  /** The numbers connected through a provider, credentials opened (the providers' webhooks). */
  providerAccounts: ProviderAccounts
  /** Mutes and rules of each number, applied as the relay ingests [F1]–[F8]. */
  rules: TriageRules
  /** Sends the outbox's replies through their providers (outbox-sender.ts). */
  outbox: OutboxSender
  /** What a webhook listener on its own thread asks of the relay (node/webhook-listener.ts). */
  webhookHost: WebhookHost
  /** The runtime glue reports frames its socket layer refused (e.g. over maxPayload). */
  reportRejectedFrame(reason: string, detail: string): void
  /**
   * The member's budget of big sync step 2s for a socket (its `WSContext.raw`), which the runtime
   * glue's frame gate takes from before buffering one and gives back once read [L6].
   */
  readonly syncBudget: SyncBudget
  /** Stops and resumes serving rooms: a lost lease, a drain (PostgreSQL, scale/room-handoff.ts). */
  handoff: RoomHandoff
  /** Rooms currently in memory (for tests and /healthz). */
  loadedRooms(): string[]
  connectionCount(): number
  /** Stop accepting, close every socket with 1001, flush, close the store. */
  close(): Promise<void>
}

export function createRelay(relayOptions: RelayOptions): Relay {
  const options = resolveOptions(relayOptions)
  const { storage, now, log } = options
  const metrics = createMetrics()
  const sessions = createSessions({
    storage,
    secret: options.secret,
    accessTtlSeconds: options.tokenTtlSeconds,
    sessionTtlSeconds: options.sessionTtlSeconds,
    reuseGraceMs: options.refreshReuseGraceMs,
    now,
  })
  const authenticate = createAuthenticate(options.secret, sessions)
  const ownership = createOwnership(storage)
  const access = createAccess(storage)
  const connections = createConnections<Connection | ProxiedSocket>({ metrics, ...options })
  // Relays sharing a secret share the link key; links are opened only by a relay that routes.
  const linkKey = deriveLinkKey(options.secret)
  const links = options.routeRoom
    ? createLinkPool({ relayId: options.relayId, key: linkKey, now, log })
    : null
  let closing = false

  // Rooms and their epochs call each other: an epoch takes a room from the registry and gives it
  // back; the registry waits for an epoch under way before it serves a room.
  const epochs = createEpochs({
    ...options,
    metrics,
    rooms: {
      acquire: withTakeover(storage, (name) => rooms.acquire(name)),
      unload: (room) => rooms.unload(room),
    },
  })
  const rooms: RoomRegistry = createRoomRegistry({
    metrics,
    roomIdleMs: options.roomIdleMs,
    epochs,
    load: (name) => {
      handoff.assertServing(name)
      return Room.load(name, {
        storage,
        metrics,
        log,
        compactEvery: options.compactEvery,
        compactQuietMs: options.compactQuietMs,
        offThreadSnapshotBytes: options.offThreadSnapshotBytes,
        ...epochs.roomHooks,
      })
    },
  })
  const handoff = createRoomHandoff({ rooms, connections })
  // Sockets, webhooks and the relay's own writes (asked of the owner, scale/owner-requests.ts)
  // never take a room from a live relay; `writeRoom` still does, for an owner that is silent.
  const writeRoom = withTakeover(storage, rooms.writeRoom)
  const owner = createOwnerRequests({
    ...options,
    writeRoom: rooms.writeRoom,
    links,
    // This relay's restore and epoch, for a room it owns (or that another relay asks it to run).
    jobs: { restore: (...args) => admin.restore(...args), startEpoch: epochs.start },
  })
  const { writeWorkspace } = owner
  const rules = createTriageRules({
    storage,
    writeRoom,
    writeOwnRoom: rooms.writeRoom,
    // Several relays: the mutes' mirror waits in the inbound queue for the inbox's owner.
    queueMutes: storage.inbound ? (id, mutes) => queued!.mutes(id, mutes) : undefined,
    now,
    log,
    hasPhoneNumber: access.hasPhoneNumber,
  })
  // On a store shared by relays, webhooks queue there for each room's owner (scale/inbound-queue.ts).
  const { writeRoom: writeOwn, unsound } = rooms
  const ingestion = createIngestion({ ...options, writeRoom: writeOwn, unsound, rules, metrics })
  const { ingest, queued } = ingestion
  // [K1][K2] Credentials are sealed with their own key and opened only here, on demand.
  const vault = createCredentialVault(options.credentialsKey)
  const providerAccounts = options.providerAccounts ?? createProviderAccounts(storage, vault)
  const onOutcome = metrics.outboxReply
  const roomWrites = options.routeRoom ? owner : undefined
  const deliveries = createDeliveries({
    ...options,
    writeRoom,
    writeWorkspace,
    roomWrites,
    onOutcome,
    queued,
  })
  metrics.oldestUnsentMs = () => {
    const at = storage.oldestUnsent()
    return at === null ? 0 : now() - at
  }
  const { providerApiBases: apiBases } = options
  const quoCalls = createQuoCalls({ ...options, writeRoom, apiBase: apiBases.quo, queued })
  const outbox = createOutboxSender({
    ...options,
    accounts: providerAccounts,
    deliveries,
    apiBases,
    timing: options.outboxTiming,
    onRetry: metrics.outboxRetry,
  })
  const admin = createAdmin({
    ...options,
    vault,
    writeRoom,
    writeWorkspace,
    historyMove: epochs.historyMove,
    sockets: connections,
    phoneNumberOf: access.phoneNumberOf,
  })

  const invites = createInvites({ ...options, writeWorkspace })
  const lastSeen = createLastSeen(storage, now)
  // One throttle for logins and password changes: both are guesses of a password [A1]–[A3];
  // on PostgreSQL its counts are every relay's.
  const pool = postgresPoolOf(storage)
  const loginThrottle = pool
    ? createPostgresLockouts(pool, options.loginLimits)
    : new LoginThrottle(options.loginLimits)
  const hashSlots = new HashSlots(
    options.loginLimits.concurrentHashes,
    options.loginLimits.queuedHashes,
  )

  const app = new Hono<Vars>()
  app.use(
    '*',
    securityHeaders(() => options.scriptHashes, options.relayUrls, options.readHeader),
  )
  app.onError(answerError(log))
  useApiMiddleware(app, options.allowedOrigins, metrics)

  const shared = { ...options, metrics, authenticate, queued }
  app.route(
    '/',
    opsRoutes({ ...shared, counts: () => ({ rooms: rooms.size, connections: connections.size }) }),
  )
  app.route(
    '/api',
    authRoutes({
      ...shared,
      sessions,
      loginThrottle,
      hashSlots,
      admin,
      roomsOf: access.roomsOf,
      closeSessions: connections.closeSessions,
      lastSeen,
    }),
  )
  app.route(
    '/api',
    meRoutes({
      ...shared,
      writeWorkspace,
      loginThrottle,
      hashSlots,
      closeSessions: connections.closeSessions,
    }),
  )
  app.route('/api', relaysRoutes(options))
  app.route('/api', inviteRoutes({ ...shared, invites, sessions, lastSeen }))
  const webhookHost = createWebhookHost({
    ...shared,
    accounts: providerAccounts,
    ingest,
    reportDelivery: (account, r) => deliveries.reportByProviderId(account, r),
    quoCalls,
  })
  app.route('/api', activityRoutes({ ...shared, take: webhookHost.takeActivities }))
  app.route(
    '/api',
    outgoingRoutes({
      ...shared,
      hasPhoneNumber: access.hasPhoneNumber,
      readRoom: readWithoutClaim(storage, rooms.readRoom),
      ingest,
      writeRoom,
      wakeOutbox: outbox.wake,
    }),
  )
  app.route(
    '/api/webhooks',
    providerWebhookRoutes({
      accounts: providerAccounts,
      publicUrl: options.publicUrl,
      ingest,
      now,
      maxBodyBytes: options.maxFrameBytes,
      readBody: options.readBody,
      readHeader: options.readHeader,
      onRefused: metrics.authFailure,
      onDuplicate: metrics.webhookDuplicate,
      reportDelivery: (account, r) => deliveries.reportByProviderId(account, r),
      quoCalls,
    }),
  )
  app.route(
    '/api/admin',
    adminRoutes({
      ...shared,
      admin: { ...admin, restore: owner.restore },
      invites,
      online: connections.online,
      startEpoch: owner.startEpoch,
      readRoom: (name, fn) => readWithoutClaim(storage, rooms.readRoom)(name, fn),
    }),
  )
  app.route('/api', historyRoutes({ ...shared, hasPhoneNumber: access.hasPhoneNumber }))
  app.route('/api', triageRuleRoutes({ ...shared, rules }))
  // One timer per second in which tokens of open sockets expire, not one per socket.
  const expiries = new Expiries<Connection>(now, (conn) =>
    conn.close(CloseCode.Unauthorized, 'token expired'),
  )
  const connection = {
    ...options,
    metrics,
    ownership,
    connections,
    rooms,
    expiries,
    assignRefusal: access.assignRefusal,
  }
  const sockets = {
    ...shared,
    access: access.access,
    ownership,
    rooms,
    connections,
    connection,
    expiries,
    seen: lastSeen.touch,
    refusal: handoff.refusal,
    closing: () => closing || handoff.stopped === 'drain',
  }
  app.route('/sync', syncRoutes({ ...sockets, links }))
  const verify = createLinkVerifier(linkKey, now)
  app.route(LINK_PATH, linkRoutes({ ...sockets, verify, answer: owner.answer }))

  // [O4] Replies a killed relay left half-sent are looked up first, then the due ones are sent.
  outbox.start()
  rules.start()
  ingestion.start()

  return {
    app: app as unknown as Hono,
    storage,
    metrics,
    maxFrameBytes: options.maxFrameBytes,
    maxSyncFrameBytes: options.maxSyncFrameBytes,
    maxSocketsPerMember: options.maxSocketsPerMember,
    maxSyncBytesPerMember: options.maxSyncBytesPerMember,
    maxPresenceBytes: options.maxPresenceBytes,
    presenceUpdatesPerSecond: options.presenceUpdatesPerSecond,
    ingest,
    writeRoom,
    startEpoch: epochs.start,
    admin,
    invites,
    providerAccounts,
    rules,
    outbox,
    webhookHost,
    syncBudget: connections.syncBudget,
    reportRejectedFrame(reason, detail) {
      metrics.reject(reason)
      log({ level: 'warn', msg: 'frame rejected', reason, detail: detail.slice(0, 300) })
    },
    handoff,
    loadedRooms: rooms.loaded,
    connectionCount: () => connections.size,
    async close() {
      closing = true
      // Requests under way are abandoned in flight: the next start looks them up [O4].
      await outbox.stop()
      rules.stop()
      await ingestion.stop()
      connections.stop()
      // The registry stops unloading idle rooms before the sockets' closes would schedule it.
      const unloaded = rooms.close()
      connections.closeWhere(() => true, CloseCode.GoingAway, 'relay shutting down')
      links?.close()
      await unloaded
      await storage.close()
    },
  }
}
