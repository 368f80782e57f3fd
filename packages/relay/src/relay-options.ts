/**
 * @module The relay's options: what a caller may set (`RelayOptions`) and every value resolved,
 * defaults applied and derived caps computed, once (`resolveOptions`).
 */
import { DEFAULT_MAX_DRIFT } from '@switchboard/core'
import type { Context } from 'hono'
import type { UpgradeWebSocket } from 'hono/ws'
import type { BodyReader } from './body-limits.ts'
import { createPasswords, type PasswordCost, type Passwords } from './auth.ts'
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-throttle.ts'
import { DEFAULT_OUTBOX_TIMING, type OutboxTiming } from './outbox-timing.ts'
import { CREDENTIALS_KEY_BYTES, deriveCredentialsKey } from './providers/credentials-key.ts'
import type { ProviderName } from './providers/provider-account.ts'
import type { ProviderAccounts } from './providers/provider-account.ts'
import type { HeaderReader } from './request-headers.ts'
import { retentionMs } from './restore.ts'
import { webSocketAdapter, type SocketAdapterFactory } from './socket-adapter.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

/** Which relay owns a room: this one, or another reached over the relay link (docs/scale-out.md). */
export type RouteRoom = (room: string) => Promise<'self' | { relayId: string; url: string }>

export interface RelayOptions {
  storage: RelayStorage
  /** Signs and verifies member tokens (HS256). */
  secret: string
  /** Verifies `x-switchboard-signature` on webhooks. */
  webhookSecret: string
  upgradeWebSocket: UpgradeWebSocket<unknown>
  /**
   * Seals providers' credentials at rest (32 bytes, `CREDENTIALS_KEY`) [K2]. Default: derived from
   * `secret` by HKDF under a label of its own, never the token-signing key itself.
   */
  credentialsKey?: Uint8Array
  /**
   * The base URL providers call (`PUBLIC_URL`, no trailing slash): webhook URLs are built on it
   * and Twilio signs over it. Default: the origin of the request that asks for a webhook URL.
   */
  publicUrl?: string
  /** The providers' API hosts (`TWILIO_API_BASE`…); default their real ones. */
  providerApiBases?: Partial<Record<ProviderName, string>>
  /** The outbox sender's backoff, polling and time-outs (outbox-sender.ts); tests shorten them. */
  outboxTiming?: Partial<OutboxTiming>
  /** Origins allowed to open sockets and call the API, besides the relay's own. */
  allowedOrigins?: string[]
  /**
   * Public base URLs of every relay of the deployment (`RELAY_PUBLIC_URLS`), this one included:
   * told to the web app (`GET /api/relays`), and their origins may open sockets, call the API
   * and be connected to from the app's pages, as `allowedOrigins` may.
   */
  relayUrls?: string[]
  /** Lifetime of an access token. Default 3600 s. */
  tokenTtlSeconds?: number
  /** Absolute lifetime of a session (a login): no refresh extends it [S3]. Default 30 days. */
  sessionTtlSeconds?: number
  /**
   * A refresh token replaced less than this long ago gets the current one back instead of ending
   * the session (two tabs of one session refreshing at once) [S2]. Default 30 s.
   */
  refreshReuseGraceMs?: number
  /** Frame size cap; the runtime glue also hands it to `ws` as maxPayload. Default 1 MiB. */
  maxFrameBytes?: number
  /**
   * Size cap of a client's sync step 2 (≥ maxFrameBytes), which carries the replica's whole
   * delete set. The runtime glue hands the larger cap to `ws`. Default 32 MiB.
   */
  maxSyncFrameBytes?: number
  /** A socket whose unsent bytes exceed this is closed with 4529. Default 16 MiB. */
  maxBufferedBytes?: number
  /** Open sockets one member may hold; the next is closed with 4529 [L4]. Default 100; 0: no cap. */
  maxSocketsPerMember?: number
  /**
   * Bytes of sync step 2s over maxFrameBytes one member may have buffered at once, across their
   * sockets; one past it is refused by its header with 4529 [L6]. Default 2 × maxSyncFrameBytes.
   */
  maxSyncBytesPerMember?: number
  /** Bytes of JSON one presence (awareness) state may have; more closes with 4413 [L5]. Default 8 KiB. */
  maxPresenceBytes?: number
  /**
   * Presence changes of its own a socket may make per second (and in a burst); faster ones are
   * coalesced, the newest applied when allowed [L5]. Default 10; 0: no cap.
   */
  presenceUpdatesPerSecond?: number
  /** Unload a room this long after its last socket left. Default 30 s. */
  roomIdleMs?: number
  /** Compact a room's log after this many stored batches. Default 500. */
  compactEvery?: number
  /** A due compaction waits for this long a pause in a busy room (see RoomDeps). Default 0. */
  compactQuietMs?: number
  /** Rooms from this size have their snapshots built off the event loop (see RoomDeps). */
  offThreadSnapshotBytes?: number
  /**
   * A socket sent nothing for this long gets an empty awareness update: unmodified providers
   * drop a connection that received no message for 30 s. Default 10 s; 0 disables.
   */
  keepaliveMs?: number
  /**
   * Inbox audit history older than this leaves the room for the archive (served by
   * `GET /api/history/:phoneNumberId`) when a room compacts or starts an epoch. Default 90 days.
   */
  historyHorizonMs?: number
  /**
   * How far back an owner may restore an inbox (docs/restore.md, SPEC [T6]); the archive keeps
   * at least this much history. Default 30 days (`RESTORE_RETENTION_DAYS`).
   */
  restoreRetentionMs?: number
  /**
   * An inbox room starts a new epoch (rebuilt from its live state) after this many stored
   * batches since it was loaded. Default 0 (off: an epoch closes every socket of the room, and
   * unmodified y-websocket clients stop on 4409); `POST /api/admin/rooms/:room/epoch` always works.
   */
  epochEvery?: number
  /**
   * An inbox room with at least `items` Yjs structs (values and tombstones) or `writers` client
   * ids starts a new epoch when nobody is connected to it: as it loads, before anyone joins, and
   * when it goes idle (`roomIdleMs` without sockets), so a big or old room is served in the
   * epoch's compact form (docs/bounded-documents.md §3). 0 turns a limit off. Default
   * `{ items: 50_000, writers: 2_000 }`.
   */
  epochOnLoad?: { items: number; writers: number }
  /** P6: timestamps further ahead of the relay's clock are rejected. */
  maxDriftMs?: number
  /** Login throttling and hash concurrency (login-throttle.ts, docs/protocol.md). */
  loginLimit?: LoginLimits
  /**
   * scrypt's cost for the password hashes this relay makes (default N 16384, r 8, p 1); a stored
   * hash is always checked at the cost it was made with. The test harness lowers it: tests sign in
   * hundreds of times and none of them measures the hash.
   */
  passwordCost?: PasswordCost
  /**
   * When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`; when unset it is
   * served to loopback clients only.
   */
  metricsToken?: string
  /** Inline-script hashes the CSP allows: the built web app's (startRelayServer reads them). */
  scriptHashes?: readonly string[]
  now?: () => number
  log?: (event: Record<string, unknown>) => void
  /** The caller's IP, for login throttling and /metrics (the runtime glue knows the socket). */
  clientIp?: (c: Context) => string | undefined
  /**
   * Reads a provider webhook's body from the runtime's own request (the Node glue reads the
   * socket), skipping the Fetch API's streams on the relay's busiest HTTP route; unset: Fetch.
   */
  readBody?: BodyReader
  /**
   * Reads a provider webhook's request headers from the runtime's own request, without a Fetch
   * Headers object; unset: Fetch.
   */
  readHeader?: HeaderReader
  /**
   * How the relay writes to a socket beyond `WSContext`: its unsent bytes and a broadcast frame
   * sent once for many sockets. The runtime glue passes its own (src/node/ws-socket.ts); the
   * default uses only the WebSocket API.
   */
  socketAdapter?: SocketAdapterFactory
  /**
   * The numbers connected through a provider, whose webhooks `/api/webhooks/{twilio,telnyx,quo}/:id`
   * take in (docs/providers.md). Default: the numbers connected through the admin API, their
   * credentials opened from the store with `credentialsKey`.
   */
  providerAccounts?: ProviderAccounts
  /**
   * Which relay owns each room. A socket for a room owned elsewhere is authenticated here, then
   * proxied to its owner over one relay link per pair of relays. Default: this relay, always.
   */
  routeRoom?: RouteRoom
  /** This relay's name among several (`RELAY_ID`): it signs the links it opens. Default `relay`. */
  relayId?: string
}

/** Every option with its value: what the relay's modules read. */
export interface ResolvedOptions {
  storage: RelayStorage
  secret: string
  webhookSecret: string
  upgradeWebSocket: UpgradeWebSocket<unknown>
  credentialsKey: Uint8Array
  publicUrl: string | undefined
  providerApiBases: Readonly<Record<ProviderName, string>>
  outboxTiming: OutboxTiming
  /** `allowedOrigins` and the origins of `relayUrls`. */
  allowedOrigins: ReadonlySet<string>
  relayUrls: readonly string[]
  tokenTtlSeconds: number
  sessionTtlSeconds: number
  refreshReuseGraceMs: number
  maxFrameBytes: number
  /** Never below maxFrameBytes. */
  maxSyncFrameBytes: number
  maxBufferedBytes: number
  maxSocketsPerMember: number
  maxSyncBytesPerMember: number
  maxPresenceBytes: number
  presenceUpdatesPerSecond: number
  roomIdleMs: number
  compactEvery: number
  compactQuietMs: number
  offThreadSnapshotBytes: number | undefined
  keepaliveMs: number
  historyHorizonMs: number
  restoreRetentionMs: number
  epochEvery: number
  epochOnLoad: { items: number; writers: number }
  maxDriftMs: number
  loginLimits: Required<LoginLimits>
  passwords: Passwords
  metricsToken: string | undefined
  scriptHashes: readonly string[]
  now: () => number
  log: (event: Record<string, unknown>) => void
  clientIp: (c: Context) => string | undefined
  readBody: BodyReader | undefined
  readHeader: HeaderReader | undefined
  socketAdapter: SocketAdapterFactory
  providerAccounts: ProviderAccounts | undefined
  routeRoom: RouteRoom | undefined
  relayId: string
}

const MiB = 1024 * 1024

/** The providers' real API hosts. */
export const DEFAULT_PROVIDER_API_BASES: Readonly<Record<ProviderName, string>> = {
  twilio: 'https://api.twilio.com',
  telnyx: 'https://api.telnyx.com',
  quo: 'https://api.openphone.com',
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '')

/** A relay's origin (what a browser sends as Origin); a URL that is not one is refused. */
function originOf(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`relayUrls: ${JSON.stringify(url)} is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`relayUrls: ${JSON.stringify(url)} must be http(s)`)
  return parsed.origin
}

/** Applies the defaults documented on `RelayOptions` and derives the caps that follow from others. */
export function resolveOptions(options: RelayOptions): ResolvedOptions {
  const maxFrameBytes = options.maxFrameBytes ?? MiB
  const maxSyncFrameBytes = Math.max(options.maxSyncFrameBytes ?? 32 * MiB, maxFrameBytes)
  const credentialsKey = options.credentialsKey ?? deriveCredentialsKey(options.secret)
  if (credentialsKey.byteLength !== CREDENTIALS_KEY_BYTES)
    throw new Error(`credentialsKey must be ${CREDENTIALS_KEY_BYTES} bytes`)
  const apiBases = { ...DEFAULT_PROVIDER_API_BASES, ...options.providerApiBases }
  const relayUrls = [...new Set((options.relayUrls ?? []).map(withoutTrailingSlash))]
  return {
    storage: options.storage,
    secret: options.secret,
    webhookSecret: options.webhookSecret,
    upgradeWebSocket: options.upgradeWebSocket,
    credentialsKey,
    publicUrl:
      options.publicUrl === undefined ? undefined : withoutTrailingSlash(options.publicUrl),
    providerApiBases: {
      twilio: withoutTrailingSlash(apiBases.twilio),
      telnyx: withoutTrailingSlash(apiBases.telnyx),
      quo: withoutTrailingSlash(apiBases.quo),
    },
    outboxTiming: { ...DEFAULT_OUTBOX_TIMING, ...options.outboxTiming },
    allowedOrigins: new Set([...(options.allowedOrigins ?? []), ...relayUrls.map(originOf)]),
    relayUrls,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    sessionTtlSeconds: options.sessionTtlSeconds ?? 30 * 86_400,
    refreshReuseGraceMs: options.refreshReuseGraceMs ?? 30_000,
    maxFrameBytes,
    maxSyncFrameBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? 16 * MiB,
    maxSocketsPerMember: options.maxSocketsPerMember ?? 100,
    maxSyncBytesPerMember: options.maxSyncBytesPerMember ?? 2 * maxSyncFrameBytes,
    maxPresenceBytes: options.maxPresenceBytes ?? 8 * 1024,
    presenceUpdatesPerSecond: options.presenceUpdatesPerSecond ?? 10,
    roomIdleMs: options.roomIdleMs ?? 30_000,
    compactEvery: options.compactEvery ?? 500,
    compactQuietMs: options.compactQuietMs ?? 0,
    offThreadSnapshotBytes: options.offThreadSnapshotBytes,
    keepaliveMs: options.keepaliveMs ?? 10_000,
    historyHorizonMs: options.historyHorizonMs ?? 90 * 86_400_000,
    restoreRetentionMs: options.restoreRetentionMs ?? retentionMs(undefined),
    epochEvery: options.epochEvery ?? 0,
    epochOnLoad: options.epochOnLoad ?? { items: 50_000, writers: 2_000 },
    maxDriftMs: options.maxDriftMs ?? DEFAULT_MAX_DRIFT,
    loginLimits: { ...DEFAULT_LOGIN_LIMITS, ...options.loginLimit },
    passwords: createPasswords(options.passwordCost),
    metricsToken: options.metricsToken,
    scriptHashes: options.scriptHashes ?? [],
    now: options.now ?? Date.now,
    log:
      options.log ??
      ((event) => console.log(JSON.stringify({ t: new Date().toISOString(), ...event }))),
    clientIp: options.clientIp ?? (() => undefined),
    readBody: options.readBody,
    readHeader: options.readHeader,
    socketAdapter: options.socketAdapter ?? webSocketAdapter,
    providerAccounts: options.providerAccounts,
    routeRoom: options.routeRoom,
    relayId: options.relayId ?? 'relay',
  }
}
