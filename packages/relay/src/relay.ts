/**
 * @module createRelay(options) → a Hono app plus the handles that operate it.
 *
 * Knows no Node server: `upgradeWebSocket` comes from the runtime glue (src/main.ts). Every
 * socket is authenticated and checked for room access before any document byte is sent; a
 * refused socket is opened only to be closed with a code the client can act on (docs/protocol.md).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import {
  appendActivity,
  checkActivity,
  compactHistory,
  compactInbox,
  timestampWall,
  getConversation,
  grantAccess as grantAccessInDoc,
  ingestActivity,
  isValidId,
  parseRoom,
  revokeAccess as revokeAccessInDoc,
  setMember,
  setPhoneNumber,
  admitUpdate,
  DEFAULT_MAX_DRIFT,
  RESTORE_DEVICE,
  type Activity,
  type HistoryEntry,
  type IngestResult,
  type Room as RoomName,
} from '@switchboard/core'
import { Hono, type Context } from 'hono'
import * as Y from 'yjs'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import type { UpgradeWebSocket, WSContext } from 'hono/ws'
import { DUMMY_HASH, checkToken, hashPassword, verifyPassword } from './auth.ts'
import { BODY_LIMITS, limitBody } from './body-limits.ts'
import {
  DEFAULT_LOGIN_LIMITS,
  HashSlots,
  LoginThrottle,
  type LoginLimits,
} from './login-throttle.ts'
import { isLoopback, metricsAccess } from './metrics-access.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import {
  CloseCode,
  MalformedMessage,
  decodeAwarenessRaw,
  decodeMessage,
  encodeAwareness,
  isSyncStep2,
} from '@switchboard/protocol'
import {
  RELAY_ORIGIN,
  RELAY_WRITER,
  Room,
  RoomSealedError,
  freshClientId,
  type Peer,
  type SharedFrame,
} from './room.ts'
import { securityHeaders } from './security-headers.ts'
import { createSessions, type SessionRefusal } from './sessions.ts'
import { binaryFrame, frameStream } from './ws-frame.ts'
import { createRestorer, retentionMs, RestoreError, type RestoreReport } from './restore.ts'
import {
  memberRoles,
  type ArchivedEntry,
  type MemberRecord,
  type MemberRole,
  type PhoneNumberRecord,
  type RelayStorage,
  type SessionRecord,
} from './storage/relay-storage.ts'

export interface RelayOptions {
  storage: RelayStorage
  /** Signs and verifies member tokens (HS256). */
  secret: string
  /** Verifies `x-switchboard-signature` on webhooks. */
  webhookSecret: string
  upgradeWebSocket: UpgradeWebSocket<unknown>
  /** Origins allowed to open sockets and call the API, besides the relay's own. */
  allowedOrigins?: string[]
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
   * delete set: ~2.5 MB for a room of 1M overwritten marks between epochs. The runtime glue
   * hands the larger cap to `ws`. Default 32 MiB.
   */
  maxSyncFrameBytes?: number
  /** A socket whose unsent bytes exceed this is closed with 4429. Default 16 MiB. */
  maxBufferedBytes?: number
  /** Open sockets one member may hold; the next is closed with 4429 [L4]. Default 100; 0: no cap. */
  maxSocketsPerMember?: number
  /**
   * Bytes of sync step 2s over maxFrameBytes one member may have buffered at once, across their
   * sockets; one past it is refused by its header with 4429 [L6]. Default 2 × maxSyncFrameBytes.
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
}

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
  /** The runtime glue reports frames its socket layer refused (e.g. over maxPayload). */
  reportRejectedFrame(reason: string, detail: string): void
  /**
   * The member's budget of big sync step 2s for a socket (its `WSContext.raw`), which the runtime
   * glue's frame gate takes from before buffering one and gives back once read [L6].
   */
  syncBudget(raw: unknown): { take(bytes: number): boolean; give(bytes: number): void }
  /** Rooms currently in memory (for tests and /healthz). */
  loadedRooms(): string[]
  connectionCount(): number
  /** Stop accepting, close every socket with 1001, flush, close the store. */
  close(): Promise<void>
}

/** What starting an epoch did to a room. */
export interface EpochReport {
  room: string
  epoch: string
  previous: string | null
  bytesBefore: number
  bytesAfter: number
  clientsBefore: number
  archived: number
  droppedMarks: number
  ms: number
}

export interface NewMember {
  email: string
  name: string
  role: MemberRole
  password: string
  id?: string
}

/**
 * Who asks for an admin change: a member (through the HTTP admin API), or null for the operator
 * (the CLI on DATA_DIR, seeding code), who acts as an owner.
 */
export type Actor = MemberRecord | null

/** A session as the admin API lists it (no secrets). */
export interface SessionView {
  id: string
  createdAt: number
  expiresAt: number
  refreshedAt: number
  endedAt: number | null
  endReason: string | null
  userAgent: string | null
  ip: string | null
}

export interface Admin {
  /**
   * `demo` accepts any non-empty password: the operator chose SWITCHBOARD_DEMO_PASSWORD. Only an
   * owner (or the operator) creates owners [S7].
   */
  createMember(input: NewMember, options?: { demo?: boolean; actor?: Actor }): Promise<MemberRecord>
  createPhoneNumber(input: {
    name: string
    number: string
    id?: string
  }): Promise<PhoneNumberRecord>
  grant(memberId: string, phoneNumberId: string): Promise<void>
  /**
   * Restores an inbox room's conversations to `at` (ISO 8601 or ms) by compensating marks
   * (docs/restore.md); `by` must be an owner, and is named in the history.
   */
  restore(room: string, at: unknown, by: string): Promise<RestoreReport>
  /** An admin cannot revoke an owner's access [S9]. */
  revoke(memberId: string, phoneNumberId: string, actor?: Actor): Promise<void>
  /** [S7][S8][S10] Changes a member's role; their sockets reconnect under the new one. */
  setRole(memberId: string, role: MemberRole, actor?: Actor): Promise<MemberRecord>
  /** [S6][S8][S9] Deactivates a member: no login, every session ended, every socket closed. */
  removeMember(memberId: string, actor?: Actor): Promise<MemberRecord>
  /** [S9][S11] Sets a new password and ends every session of the member. */
  resetPassword(memberId: string, password: string, actor?: Actor): Promise<void>
  /** A member's sessions, newest first; ended and expired ones only with `all`. */
  listSessions(memberId: string, options?: { all?: boolean }): SessionView[]
  /** [S5][S9] Ends one session of a member (or all of them without `sessionId`); returns the ids ended. */
  revokeSessions(memberId: string, sessionId?: string, actor?: Actor): string[]
}

export class AdminError extends Error {
  readonly field: string
  readonly status: 400 | 403 | 404 | 409
  constructor(status: 400 | 403 | 404 | 409, field: string, message: string) {
    super(message)
    this.name = 'AdminError'
    this.status = status
    this.field = field
  }
}

type Vars = { Variables: { member: MemberRecord; sessionId: string } }

const publicMember = (m: MemberRecord) => ({ id: m.id, email: m.email, name: m.name, role: m.role })
/** The workspace document's record: a removed member stays, marked, so history keeps a name. */
const workspaceMember = (m: MemberRecord) =>
  m.deactivatedAt === undefined ? publicMember(m) : { ...publicMember(m), deactivated: true }
/** A member as the admin API lists them. */
const adminMember = (m: MemberRecord) => ({
  ...publicMember(m),
  createdAt: m.createdAt,
  deactivatedAt: m.deactivatedAt ?? null,
})
const sessionView = (s: SessionRecord): SessionView => ({
  id: s.id,
  createdAt: s.createdAt,
  expiresAt: s.expiresAt,
  refreshedAt: s.refreshedAt,
  endedAt: s.endedAt ?? null,
  endReason: s.endReason ?? null,
  userAgent: s.userAgent ?? null,
  ip: s.ip ?? null,
})
const ID_RE = /^[A-Za-z0-9_.+\-~]{1,128}$/
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/

type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>

/** How long an update may wait for the structs it builds on before the socket must resync. */
const HOLD_MS = 5_000

/** How far ahead of the relay's clock a webhook activity's time may be [A6]. */
const MAX_ACTIVITY_AHEAD_MS = 5 * 60_000

/** The least time between two walks of a room's history for entries past the horizon. */
const HISTORY_SCAN_EVERY_MS = 3_600_000

/** True when some struct of `update` starts past what the room has of its client (a clock gap). */
function leavesGap(doc: Y.Doc, structs: DecodedUpdate['structs']): boolean {
  const next = new Map<number, number>()
  for (const s of structs) {
    if (s instanceof Y.Skip) return true
    const expected = next.get(s.id.client) ?? Y.getState(doc.store, s.id.client)
    if (s.id.clock > expected) return true
    next.set(s.id.client, Math.max(expected, s.id.clock + s.length))
  }
  return false
}

export function createRelay(options: RelayOptions): Relay {
  const {
    storage,
    secret,
    webhookSecret,
    upgradeWebSocket,
    tokenTtlSeconds = 3600,
    sessionTtlSeconds = 30 * 86_400,
    refreshReuseGraceMs = 30_000,
    maxFrameBytes = 1024 * 1024,
    maxSyncFrameBytes: syncCap = 32 * 1024 * 1024,
    maxBufferedBytes = 16 * 1024 * 1024,
    maxSocketsPerMember = 100,
    maxSyncBytesPerMember: syncBudgetOption,
    maxPresenceBytes = 8 * 1024,
    presenceUpdatesPerSecond = 10,
    roomIdleMs = 30_000,
    compactEvery = 500,
    compactQuietMs = 0,
    offThreadSnapshotBytes,
    historyHorizonMs = 90 * 86_400_000,
    restoreRetentionMs = retentionMs(undefined),
    epochEvery = 0,
    epochOnLoad = { items: 50_000, writers: 2_000 },
    keepaliveMs = 10_000,
    maxDriftMs = DEFAULT_MAX_DRIFT,
    now = Date.now,
    clientIp = () => undefined,
  } = options
  const maxSyncFrameBytes = Math.max(syncCap, maxFrameBytes)
  const maxSyncBytesPerMember = syncBudgetOption ?? 2 * maxSyncFrameBytes
  const log =
    options.log ??
    ((event: Record<string, unknown>) =>
      console.log(JSON.stringify({ t: new Date().toISOString(), ...event })))
  const allowedOrigins = new Set(options.allowedOrigins ?? [])
  const loginLimits = { ...DEFAULT_LOGIN_LIMITS, ...options.loginLimit }
  const loginThrottle = new LoginThrottle(loginLimits)
  const hashSlots = new HashSlots(loginLimits.concurrentHashes, loginLimits.queuedHashes)
  const scriptHashes = options.scriptHashes ?? []
  const metrics = createMetrics()
  const sessions = createSessions({
    storage,
    secret,
    accessTtlSeconds: tokenTtlSeconds,
    sessionTtlSeconds,
    reuseGraceMs: refreshReuseGraceMs,
    now,
  })
  /** When each room's history was last walked for entries past the horizon (beforeCompact). */
  const historyScannedAt = new Map<string, number>()
  /** Each room's latest move of old history to the archive: a restore reads after it [T6]. */
  const historyMoves = new Map<string, Promise<void>>()
  const roomDeps = {
    storage,
    metrics,
    log,
    compactEvery,
    compactQuietMs,
    offThreadSnapshotBytes,
    // Bounds inbox growth: overwritten marks are garbage-collected by Yjs, the audit history is
    // pruned past the horizon (SPEC: only the relay compacts history).
    beforeCompact(room: Room) {
      if (!room.name.startsWith('inbox:')) return
      // The walk reads the whole history array on the event loop (~75 ms at 60 MB): at most once
      // per HISTORY_SCAN_EVERY_MS per room, so an entry stays at most that long past the horizon.
      const scanned = historyScannedAt.get(room.name)
      if (
        scanned !== undefined &&
        now() - scanned < Math.min(historyHorizonMs, HISTORY_SCAN_EVERY_MS)
      )
        return
      historyScannedAt.set(room.name, now())
      const cutoff = now() - historyHorizonMs
      const old = room.doc
        .getArray<HistoryEntry>('history')
        .toArray()
        .filter((e) => timestampWall(e.at) < cutoff)
      if (old.length === 0) return
      // Archived first (an entry in both places is shown once: archive keys are idempotent).
      const move = storage.archive(room.name, old.map(archived)).then(
        () => {
          if (room.sealed || room.failed) return
          const removed = compactHistory(room.doc, cutoff, RELAY_ORIGIN)
          if (removed > 0) log({ level: 'info', msg: 'history archived', room: room.name, removed })
        },
        (err: unknown) =>
          log({ level: 'warn', msg: 'history archive failed', room: room.name, err: String(err) }),
      )
      historyMoves.set(room.name, move)
    },
    afterStore(room: Room) {
      if (epochEvery > 0 && room.storedSinceLoad >= epochEvery && room.name.startsWith('inbox:'))
        if (!sealing.has(room.name) && !room.sealed)
          startEpoch(room.name).catch((err: unknown) =>
            log({ level: 'warn', msg: 'epoch failed', room: room.name, err: String(err) }),
          )
    },
  }
  const archived = (e: HistoryEntry): ArchivedEntry => ({
    conversationId: e.conversationId,
    key: `${e.deviceId} ${e.at}`,
    data: JSON.stringify(e),
  })
  const sealing = new Map<string, Promise<EpochReport>>()
  // Device owners read or written by this relay: a binding is written once and never changes
  // [M8], so a writer's updates stop costing a SELECT and a write transaction each. Bounded: the
  // map is dropped (and refilled from storage) once it holds 50,000 devices.
  const deviceOwners = new Map<string, string>()
  const remember = (deviceId: string, memberId: string) => {
    if (deviceOwners.size >= 50_000) deviceOwners.clear()
    deviceOwners.set(deviceId, memberId)
  }
  const deviceOwner = (deviceId: string): string | null => {
    // The relay's restore device is never a member's: its keys have the relay as only writer [T2].
    if (deviceId === RESTORE_DEVICE) return RELAY_WRITER
    const known = deviceOwners.get(deviceId)
    if (known !== undefined) return known
    const owner = storage.getDeviceOwner(deviceId)
    if (owner !== null) remember(deviceId, owner)
    return owner
  }
  /**
   * A device id a member's socket uses (declares on connect or announces in its presence) is
   * bound to that member if unbound [L1][L2]; false when it is another member's or not an id.
   */
  const claimDevice = (deviceId: string, memberId: string): boolean => {
    if (!isValidId(deviceId)) return false
    const owner = deviceOwner(deviceId)
    if (owner !== null) return owner === memberId
    if (!storage.bindDevice(deviceId, memberId))
      return storage.getDeviceOwner(deviceId) === memberId
    remember(deviceId, memberId)
    return true
  }
  /** Open sockets per member [L4]. */
  const socketsOf = new Map<string, number>()
  /** Bytes of big sync step 2s being buffered per member, and whose socket each is [L6]. */
  const syncBytesOf = new Map<string, number>()
  const connectionOf = new WeakMap<object, Connection>()
  const rooms = new Map<string, Room>()
  const loading = new Map<string, Promise<Room>>()
  const connections = new Set<Connection>()
  let closing = false

  // ---------------------------------------------------------------- rooms

  async function openRoom(name: string): Promise<Room> {
    const sealed = sealing.get(name)
    if (sealed) {
      await sealed.catch(() => {})
      return openRoom(name)
    }
    const room = await acquireRoom(name)
    if (!checkedOnLoad.has(room)) {
      checkedOnLoad.add(room)
      if (room.peers.size === 0 && !room.sealed && outgrown(room))
        startEpoch(name).catch((err: unknown) => epochFailed(name, err))
    }
    // Started above or by another opener: everyone waits for the new epoch.
    if (sealing.has(name)) return openRoom(name)
    return room
  }

  const checkedOnLoad = new WeakSet<Room>()
  const epochOnLoadFailed = new Set<string>()
  const epochFailed = (name: string, err: unknown) => {
    epochOnLoadFailed.add(name)
    log({ level: 'warn', msg: 'epoch of an outgrown room failed', room: name, err: String(err) })
  }

  /** A loaded inbox room that should start a new epoch before it is served. */
  function outgrown(room: Room): boolean {
    if (!room.name.startsWith('inbox:') || epochOnLoadFailed.has(room.name)) return false
    const { clients } = room.doc.store
    if (epochOnLoad.writers > 0 && clients.size >= epochOnLoad.writers) return true
    let structs = 0
    clients.forEach((list) => (structs += list.length))
    return epochOnLoad.items > 0 && structs >= epochOnLoad.items
  }

  function acquireRoom(name: string): Promise<Room> {
    const room = rooms.get(name)
    if (room && !room.failed) return Promise.resolve(room)
    // A failed room's batches in flight are stored (or refused) before the log is read again.
    const before = room ? room.durable().catch(() => {}) : Promise.resolve()
    if (room) unload(room)
    let pending = loading.get(name)
    if (!pending) {
      pending = before
        .then(() => Room.load(name, roomDeps))
        .then((r) => {
          rooms.set(name, r)
          metrics.roomsLoaded = rooms.size
          return r
        })
        .finally(() => loading.delete(name))
      loading.set(name, pending)
    }
    return pending
  }

  function unload(room: Room) {
    if (rooms.get(room.name) === room) rooms.delete(room.name)
    room.destroy()
    metrics.roomsLoaded = rooms.size
  }

  function scheduleIdle(room: Room) {
    if (room.peers.size > 0 || closing) return
    if (room.idleTimer) clearTimeout(room.idleTimer)
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null
      if (room.peers.size > 0) return
      if (!room.settled) return scheduleIdle(room)
      // Nobody is connected: the moment to rebuild an outgrown room without closing a socket
      // (the epoch unloads it when done).
      if (!room.sealed && !sealing.has(room.name) && outgrown(room))
        return void startEpoch(room.name).catch((err: unknown) => epochFailed(room.name, err))
      unload(room)
    }, roomIdleMs)
    room.idleTimer.unref?.()
  }

  async function writeRoom(name: string, fn: (doc: Y.Doc) => void): Promise<void> {
    const room = await openRoom(name)
    try {
      await room.transact(fn)
    } catch (err) {
      // The room began a new epoch between opening and writing: write into the new one.
      if (err instanceof RoomSealedError) return writeRoom(name, fn)
      throw err
    } finally {
      scheduleIdle(room)
    }
  }

  /**
   * Rebuilds an inbox room into a new epoch [E2]: seal it (no more writes), close its sockets
   * with 4409 so replicas adopt the epoch, wait until everything is stored, build the live state
   * into a fresh document, store snapshot + epoch + archive atomically, unload. Joins and relay
   * writes wait and then load the new epoch.
   */
  function startEpoch(name: string): Promise<EpochReport> {
    const running = sealing.get(name)
    if (running) return running
    const task = runEpoch(name).finally(() => sealing.delete(name))
    sealing.set(name, task)
    return task
  }

  async function runEpoch(name: string): Promise<EpochReport> {
    const started = performance.now()
    if (!name.startsWith('inbox:')) throw new Error(`only inbox rooms have epochs: ${name}`)
    const room = await acquireRoom(name)
    try {
      room.seal()
      for (const peer of [...room.peers])
        peer.close(CloseCode.EpochChanged, 'room started a new epoch: adopt it')
      while (!room.settled) await room.durable().catch(() => {})
      await room.durable()
      // A compaction stored after the epoch would bring the old epoch's snapshot back.
      await room.compacted()
      if (room.failed) throw new Error(`room ${name} failed; no epoch started`)
      const bytesBefore = Y.encodeStateAsUpdate(room.doc).byteLength
      const epoch = `e${now().toString(36)}-${randomUUID().slice(0, 8)}`
      const retired = new Set(room.retired)
      for (const client of room.doc.store.clients.keys()) retired.add(client)
      const built = compactInbox(room.doc, {
        epoch,
        historySince: now() - historyHorizonMs,
        now: now(),
        // The new document's writer must be new to the room.
        clientID: freshClientId(retired),
        origin: RELAY_ORIGIN,
      })
      const snapshot = Y.encodeStateAsUpdate(built.doc)
      storage.bindClient(name, built.doc.clientID, RELAY_WRITER)
      await storage.startEpoch(name, {
        id: epoch,
        retired: [...retired],
        snapshot,
        upToId: room.lastStoredId,
        archive: built.archived.map(archived),
      })
      const report: EpochReport = {
        room: name,
        epoch,
        previous: room.epoch,
        bytesBefore,
        bytesAfter: snapshot.byteLength,
        clientsBefore: room.doc.store.clients.size,
        archived: built.archived.length,
        droppedMarks: built.droppedMarks,
        ms: Math.round(performance.now() - started),
      }
      built.doc.destroy()
      unload(room)
      metrics.compactions++
      log({ level: 'info', msg: 'epoch started', ...report })
      return report
    } catch (err) {
      // Sealed but not rebuilt: drop it from memory; the next open loads what is stored.
      unload(room)
      throw err
    }
  }

  // ---------------------------------------------------------------- access

  function phoneNumberOf(room: RoomName): string | null {
    if (room.kind === 'inbox') return room.id
    if (room.kind === 'conversation') return storage.getConversationPhoneNumber(room.id!)
    return null
  }

  /** null when the member may not join; otherwise whether they may write. */
  function access(member: MemberRecord, room: RoomName): { readOnly: boolean } | null {
    const viewer = member.role === 'viewer'
    if (room.kind === 'workspace') return { readOnly: true }
    if (room.kind === 'contacts') return { readOnly: viewer }
    const pn = phoneNumberOf(room)
    if (!pn || !storage.listAccess(member.id).includes(pn)) return null
    return { readOnly: viewer }
  }

  function roomsOf(member: MemberRecord): string[] {
    return ['workspace', 'contacts', ...storage.listAccess(member.id).map((pn) => `inbox:${pn}`)]
  }

  // ---------------------------------------------------------------- sockets

  class Connection implements Peer {
    readonly memberId: string
    readonly memberName: string
    readonly wantsAcks: boolean
    awarenessClientId: number | null = null
    readonly member: MemberRecord
    /** The session whose token opened the socket: it closes when that session ends [S5]. */
    readonly sessionId: string
    readonly roomName: RoomName
    readonly readOnly: boolean
    ws: WSContext<unknown> | null = null
    room: Room | null = null
    queue: Uint8Array[] = []
    queuedBytes = 0
    closed = false
    expiry: ReturnType<typeof setTimeout> | null = null
    /** An update that builds on structs this socket has not sent yet (see 'update' below). */
    held: Uint8Array | null = null
    heldTimer: ReturnType<typeof setTimeout> | null = null
    /** Counted in socketsOf (an accepted socket). */
    counted = false
    /** Presence changes this socket may still make now (a bucket refilled at the rate) [L5]. */
    presenceTokens = presenceUpdatesPerSecond
    presenceAt = performance.now()
    /** The newest presence change over the rate, applied when the bucket allows. */
    presenceWaiting: Uint8Array | null = null
    presenceTimer: ReturnType<typeof setTimeout> | null = null

    /**
     * Holds (or, with null, releases) an update. One that is still incomplete after HOLD_MS
     * closes the socket with 4429: the client reconnects and its sync step 2 resends all we lack.
     */
    hold(update: Uint8Array | null): void {
      this.held = update
      if (update === null) {
        if (this.heldTimer) clearTimeout(this.heldTimer)
        this.heldTimer = null
        return
      }
      this.heldTimer ??= setTimeout(() => {
        this.heldTimer = null
        if (this.held) this.close(CloseCode.SlowConsumer, 'update incomplete for too long, resync')
      }, HOLD_MS)
    }

    constructor(
      member: MemberRecord,
      sessionId: string,
      roomName: RoomName,
      readOnly: boolean,
      wantsAcks: boolean,
    ) {
      this.member = member
      this.sessionId = sessionId
      this.memberId = member.id
      this.memberName = member.name
      this.roomName = roomName
      this.readOnly = readOnly
      this.wantsAcks = wantsAcks
    }

    /** The keepalive tick of the last frame sent. */
    sentTick = 0

    /** Bytes of sync answers still allowed on top of maxBufferedBytes (see Peer.send). */
    answerAllowance = 0

    send(frame: Uint8Array, answer = false): void {
      if (!this.#admit(frame, answer)) return
      this.ws!.send(frame as Uint8Array<ArrayBuffer>)
    }

    sendShared(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void {
      if (!this.#admit(frame ?? own[0]!, false)) return
      const stream = frameStream(this.ws!.raw)
      if (!stream) {
        for (const f of frame ? [frame, ...own] : own) this.ws!.send(f as Uint8Array<ArrayBuffer>)
        return
      }
      const wire = frame && (once.wire ??= binaryFrame(frame))
      // Most sockets of a broadcast have no acks: the shared wire form, nothing copied.
      if (wire && own.length === 0) return void stream.write(wire)
      const wires = own.map(binaryFrame)
      if (wire) wires.unshift(wire)
      stream.write(wires.length === 1 ? wires[0]! : Buffer.concat(wires))
    }

    /** False (and the socket closed when too far behind) when the frame must not be sent. */
    #admit(frame: Uint8Array, answer: boolean): boolean {
      if (this.closed || !this.ws) return false
      this.sentTick = tick
      const raw = this.ws.raw as { bufferedAmount?: number } | undefined
      const buffered = raw?.bufferedAmount ?? 0
      // Drained below the bound: whatever answer was queued has been written out.
      if (buffered <= maxBufferedBytes) this.answerAllowance = 0
      if (buffered > maxBufferedBytes + this.answerAllowance) {
        this.close(CloseCode.SlowConsumer, 'too far behind, resync')
        return false
      }
      if (answer) this.answerAllowance += frame.byteLength
      return true
    }

    close(code: number, reason: string): void {
      if (this.closed) return
      metrics.closed(code)
      this.ws?.close(code, reason.slice(0, 120))
      this.dispose()
    }

    claimDevice(deviceId: string): boolean {
      return claimDevice(deviceId, this.memberId)
    }

    /**
     * A presence (awareness) frame. Changes of the socket's own state are rate-limited: one over
     * the rate waits for the bucket, replaced by any newer one (a state is whole, not a delta),
     * so the newest always arrives [L5]. Frames of echoes only cost no token.
     */
    presence(update: Uint8Array): void {
      const room = this.room!
      const entries = decodeAwarenessRaw(update)
      const own = this.awarenessClientId
      const mine = entries.some((e) => own === null || e.clientId === own)
      if (mine && presenceUpdatesPerSecond > 0) {
        const t = performance.now()
        const refill = ((t - this.presenceAt) * presenceUpdatesPerSecond) / 1000
        this.presenceTokens = Math.min(presenceUpdatesPerSecond, this.presenceTokens + refill)
        this.presenceAt = t
        if (this.presenceTokens < 1) {
          metrics.reject('presence-coalesced')
          this.presenceWaiting = update
          const wait = Math.ceil(((1 - this.presenceTokens) * 1000) / presenceUpdatesPerSecond)
          this.presenceTimer ??= setTimeout(() => {
            this.presenceTimer = null
            const waiting = this.presenceWaiting
            this.presenceWaiting = null
            if (waiting && !this.closed) this.handle(encodeAwareness(waiting))
          }, wait)
          return
        }
        this.presenceTokens -= 1
      }
      const result = room.applyAwareness(this, entries, maxPresenceBytes)
      if (result.oversized !== null)
        return this.reject(
          CloseCode.TooLarge,
          'presence-too-large',
          `a presence state of ${result.oversized} bytes (cap ${maxPresenceBytes})`,
        )
      if (result.dropped > 0) metrics.reject('awareness-foreign-client')
      if (result.foreignDevices > 0) metrics.reject('presence-foreign-device')
    }

    dispose(): void {
      if (this.closed) return
      this.closed = true
      connections.delete(this)
      metrics.connections = connections.size
      if (this.counted) {
        const n = (socketsOf.get(this.memberId) ?? 1) - 1
        if (n > 0) socketsOf.set(this.memberId, n)
        else socketsOf.delete(this.memberId)
      }
      if (this.expiry) clearTimeout(this.expiry)
      if (this.heldTimer) clearTimeout(this.heldTimer)
      if (this.presenceTimer) clearTimeout(this.presenceTimer)
      if (this.room) {
        this.room.leave(this)
        scheduleIdle(this.room)
      }
    }

    reject(code: number, reason: string, detail: string): void {
      metrics.reject(reason)
      log({
        level: 'warn',
        msg: 'frame rejected',
        reason,
        code,
        detail: detail.slice(0, 300),
        room: this.roomName.name,
        member: this.memberId,
      })
      this.close(code, `${reason}: ${detail}`)
    }

    handle(frame: Uint8Array): void {
      const room = this.room!
      let message
      try {
        message = decodeMessage(frame)
      } catch (err) {
        return this.reject(CloseCode.Malformed, 'malformed', (err as Error).message)
      }
      try {
        switch (message.type) {
          case 'sync-step-1':
            if (room.staleStateVector(message.stateVector))
              return this.close(CloseCode.EpochChanged, 'replica holds an older epoch: adopt it')
            return room.syncStep1(this, message.stateVector)
          case 'update': {
            // An unmodified provider sends each change as soon as it is made, so a change can
            // arrive before this socket's sync step 2 that carries what it builds on: hold it
            // (bounded) and check it again merged with the next update, as Yjs keeps it pending.
            const update = this.held ? Y.mergeUpdates([this.held, message.update]) : message.update
            this.held = null
            // Structs past a clock gap would stay pending in the room's document, and a pending
            // struct in a snapshot makes the room unreadable after a restart: never apply them.
            // Decoded once here; the gap check, the epoch check and validation all read it.
            const decoded = Y.decodeUpdate(update)
            if (leavesGap(room.doc, decoded.structs)) {
              if (update.byteLength > maxFrameBytes)
                return this.reject(CloseCode.Rejected, 'gap', 'update builds on structs never sent')
              this.hold(update)
              return
            }
            if (room.staleUpdate(update, decoded))
              return this.close(CloseCode.EpochChanged, 'update of an older epoch: adopt it')
            // A sync step 2 of deletions the room already has (an up-to-date replica's: its whole
            // delete set) has nothing to check, store or broadcast, nor has anything a read-only
            // socket sends that adds nothing. Structs a writer sends again go on: they are
            // acknowledged again (its ack may have been lost with the connection).
            const readOnly = this.readOnly || this.roomName.kind === 'workspace'
            const deletionsOnly = message.step === 'step-2' && decoded.structs.length === 0
            if ((readOnly || deletionsOnly) && room.addsNothing(decoded)) {
              this.hold(null)
              if (message.step === 'step-2') room.clientStep2(this, decoded.ds)
              return
            }
            // A Yjs client id belongs to the member who first wrote under it in this room, and the
            // relay's own ids to no member [M8]: structs under another's id would stand in for
            // that writer's real ones (same id and clock), which would then never be stored.
            const clients = room.newClients(decoded.structs)
            const foreign = room.foreignClient(this.memberId, clients)
            if (foreign !== null)
              return this.reject(
                CloseCode.Rejected,
                'foreign-client',
                `client id ${foreign} belongs to another writer`,
              )
            const devices = new Set<string>()
            const admission = admitUpdate(
              room.doc,
              update,
              {
                room: this.roomName,
                memberId: this.memberId,
                now: now(),
                maxDrift: maxDriftMs,
                readOnly: this.readOnly,
                deviceOwner,
                devices,
              },
              decoded,
            )
            if (!admission.ok) {
              if (admission.code === 'unknown-parent' && update.byteLength <= maxFrameBytes) {
                this.hold(update)
                return
              }
              const code = admission.code === 'malformed' ? CloseCode.Malformed : CloseCode.Rejected
              return this.reject(code, admission.code, admission.message)
            }
            const unbound = room.unboundClients(this.memberId, clients)
            const newDevices = [...devices].filter((d) => deviceOwners.get(d) !== this.memberId)
            if (unbound.length > 0 || newDevices.length > 0) {
              storage.transaction(() => {
                room.bindClients(this.memberId, unbound)
                for (const deviceId of newDevices) storage.bindDevice(deviceId, this.memberId)
              })
              // Committed, and the checks above saw no other owner: these are the member's now.
              room.boundClients(this.memberId, unbound)
              for (const deviceId of newDevices) remember(deviceId, this.memberId)
            }
            // What is applied, stored and broadcast is what was judged: the update without the
            // structs the room already held; acks name every client the writer sent again.
            const applied = room.applyUpdate(
              this,
              admission.update,
              admission.decoded.structs,
              admission.decoded.ds,
              { admitted: admission, acked: decoded.structs },
            )
            if (!applied)
              return this.reject(
                CloseCode.Rejected,
                'unpredicted-effect',
                'the update did not do what it was checked for; the room reloads',
              )
            this.hold(null)
            if (message.step === 'step-2') room.clientStep2(this, decoded.ds)
            return
          }
          case 'awareness':
            return this.presence(message.update)
          case 'query-awareness':
            return room.queryAwareness(this)
        }
      } catch (err) {
        const reason = err instanceof MalformedMessage ? 'malformed' : 'undecodable'
        return this.reject(CloseCode.Malformed, reason, (err as Error).message)
      }
    }
  }

  // Keepalive: one timer for every socket; a socket quiet for a whole tick gets 3 bytes.
  let tick = 0
  const KEEPALIVE = encodeAwareness(new Uint8Array([0]))
  const keepalive =
    keepaliveMs > 0
      ? setInterval(() => {
          tick++
          for (const c of connections) if (c.room && c.sentTick < tick - 1) c.send(KEEPALIVE)
        }, keepaliveMs)
      : null
  keepalive?.unref?.()

  function closeWhere(pred: (c: Connection) => boolean, code: number, reason: string) {
    for (const c of [...connections]) if (pred(c)) c.close(code, reason)
  }

  function originAllowed(c: Context): boolean {
    const origin = c.req.header('origin')
    if (!origin) return true // not a browser: no ambient credentials to abuse
    if (allowedOrigins.has(origin)) return true
    try {
      return new URL(origin).host === c.req.header('host')
    } catch {
      return false
    }
  }

  /**
   * [S4] The member and live session of an access token: a valid signature is not enough, the
   * session must not have ended or expired and the member must not have been removed.
   */
  async function authenticate(
    token: string | undefined,
  ): Promise<
    | { ok: true; member: MemberRecord; sessionId: string; exp: number }
    | { ok: false; reason: string }
  > {
    const check = await checkToken(secret, token)
    if (!check.ok) return check
    const live = sessions.check(check.claims)
    if (!live.ok) {
      const reasons = { ended: 'revoked', expired: 'session-expired' } as Record<string, string>
      return { ok: false, reason: reasons[live.reason] ?? 'invalid' }
    }
    return { ok: true, member: live.member, sessionId: live.session.id, exp: check.claims.exp }
  }

  /** [S5] Closes at once every socket of sessions that just ended. */
  function closeSessions(ids: Iterable<string>, reason: string) {
    const ended = new Set(ids)
    if (ended.size > 0) closeWhere((c) => ended.has(c.sessionId), CloseCode.SessionEnded, reason)
  }

  // ---------------------------------------------------------------- ingestion

  async function ingest(activity: Activity): Promise<IngestResult> {
    if (storage.hasActivity(activity.id))
      return { created: false, duplicate: true, reopened: false }
    storage.setConversationPhoneNumber(activity.conversationId, activity.phoneNumberId)
    let result: IngestResult = { created: false, duplicate: true, reopened: false }
    await writeRoom(`inbox:${activity.phoneNumberId}`, (doc) => {
      result = ingestActivity(doc, activity, RELAY_ORIGIN)
    })
    await writeRoom(`conversation:${activity.conversationId}`, (doc) => {
      appendActivity(doc, activity, RELAY_ORIGIN)
    })
    storage.recordActivity(activity.id)
    return result
  }

  // ---------------------------------------------------------------- admin

  const restorer = createRestorer({
    storage,
    writeRoom,
    historyMove: (name) => historyMoves.get(name),
    now,
    retentionMs: restoreRetentionMs,
    origin: RELAY_ORIGIN,
    log,
  })
  /** The member an admin change is about; 404 when there is none. */
  const target = (memberId: string): MemberRecord => {
    const m = storage.getMember(memberId)
    if (!m) throw new AdminError(404, 'memberId', 'no such member')
    return m
  }
  /** [S7][S9] Changes that concern owners are an owner's (or the operator's) to make. */
  const ownerOnly = (actor: Actor, what: string) => {
    if (actor && actor.role !== 'owner')
      throw new AdminError(403, 'role', `only an owner can ${what}`)
  }
  /** [S8] The workspace keeps at least one owner who can sign in. */
  const keepAnOwner = (leaving: MemberRecord, what: string) => {
    if (leaving.role !== 'owner' || leaving.deactivatedAt !== undefined) return
    const others = storage
      .listMembers()
      .filter((m) => m.role === 'owner' && m.deactivatedAt === undefined && m.id !== leaving.id)
    if (others.length === 0)
      throw new AdminError(
        409,
        'memberId',
        `cannot ${what} the last owner: make another owner first`,
      )
  }
  const putMember = async (member: MemberRecord) => {
    storage.putMember(member)
    await writeRoom('workspace', (doc) => setMember(doc, workspaceMember(member), RELAY_ORIGIN))
  }

  const admin: Admin = {
    async createMember(input, options = {}) {
      const email = String(input.email ?? '')
        .trim()
        .toLowerCase()
      if (!EMAIL_RE.test(email)) throw new AdminError(400, 'email', 'must be an email address')
      if (typeof input.name !== 'string' || !input.name.trim())
        throw new AdminError(400, 'name', 'must be a non-empty string')
      if (!memberRoles.includes(input.role))
        throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
      if (input.role === 'owner') ownerOnly(options.actor ?? null, 'create owners')
      const minLength = options.demo ? 1 : 8
      if (typeof input.password !== 'string' || input.password.length < minLength)
        throw new AdminError(400, 'password', `must be at least ${minLength} characters`)
      if (input.id !== undefined && !ID_RE.test(input.id))
        throw new AdminError(400, 'id', 'must be an id')
      const id = input.id ?? `m-${randomUUID().slice(0, 8)}`
      // A new member never takes an existing id (the store's put overwrites): checked before the
      // hash and again after it, with nothing awaited between the check and the write.
      const free = () => {
        if (storage.getMemberByEmail(email))
          throw new AdminError(409, 'email', 'a member with this email exists')
        if (storage.getMember(id)) throw new AdminError(409, 'id', 'a member with this id exists')
      }
      free()
      const passwordHash = await hashPassword(input.password)
      free()
      const member: MemberRecord = {
        id,
        email,
        name: input.name.trim(),
        role: input.role,
        passwordHash,
        createdAt: now(),
      }
      storage.putMember(member)
      await writeRoom('workspace', (doc) => setMember(doc, publicMember(member), RELAY_ORIGIN))
      return member
    },
    async createPhoneNumber(input) {
      if (typeof input.name !== 'string' || !input.name.trim())
        throw new AdminError(400, 'name', 'must be a non-empty string')
      if (typeof input.number !== 'string' || !/^\+?[0-9 ()-]{3,32}$/.test(input.number))
        throw new AdminError(400, 'number', 'must be a phone number')
      if (input.id !== undefined && !ID_RE.test(input.id))
        throw new AdminError(400, 'id', 'must be an id')
      const pn = {
        id: input.id ?? `pn-${randomUUID().slice(0, 8)}`,
        name: input.name.trim(),
        number: input.number,
      }
      if (storage.getPhoneNumber(pn.id))
        throw new AdminError(409, 'id', 'a phone number with this id exists')
      storage.putPhoneNumber(pn)
      await writeRoom('workspace', (doc) => setPhoneNumber(doc, pn, RELAY_ORIGIN))
      return pn
    },
    async grant(memberId, phoneNumberId) {
      if (!storage.getMember(memberId)) throw new AdminError(404, 'memberId', 'no such member')
      if (!storage.getPhoneNumber(phoneNumberId))
        throw new AdminError(404, 'phoneNumberId', 'no such phone number')
      storage.grantAccess(memberId, phoneNumberId)
      await writeRoom('workspace', (doc) =>
        grantAccessInDoc(doc, memberId, phoneNumberId, RELAY_ORIGIN),
      )
    },
    async revoke(memberId, phoneNumberId, actor = null) {
      if (target(memberId).role === 'owner') ownerOnly(actor, "revoke an owner's access")
      storage.revokeAccess(memberId, phoneNumberId)
      // Sockets go first: the member must not see one more byte of these rooms.
      closeWhere(
        (c) => c.memberId === memberId && phoneNumberOf(c.roomName) === phoneNumberId,
        CloseCode.Forbidden,
        'access revoked',
      )
      await writeRoom('workspace', (doc) =>
        revokeAccessInDoc(doc, memberId, phoneNumberId, RELAY_ORIGIN),
      )
    },
    async restore(room, at, by) {
      const member = storage.getMember(by)
      if (!member) throw new AdminError(404, 'by', 'no such member')
      if (member.role !== 'owner') throw new AdminError(400, 'by', 'only an owner may restore')
      try {
        return await restorer(room, at, member.id)
      } catch (err) {
        if (err instanceof RestoreError) throw new AdminError(err.status, err.field, err.message)
        throw err
      }
    },
    async setRole(memberId, role, actor = null) {
      const m = target(memberId)
      if (!memberRoles.includes(role))
        throw new AdminError(400, 'role', `must be one of ${memberRoles.join(', ')}`)
      if (m.role === role) return m
      if (m.role === 'owner' || role === 'owner')
        ownerOnly(actor, "make owners or change an owner's role")
      keepAnOwner(m, 'demote')
      const changed = { ...m, role }
      await putMember(changed)
      // [S10] Sockets hold the role they were opened with: they reconnect under the new one.
      closeWhere((c) => c.memberId === memberId, CloseCode.Unauthorized, 'role changed: reconnect')
      log({
        level: 'info',
        msg: 'role changed',
        member: memberId,
        from: m.role,
        to: role,
        by: actor?.id ?? 'operator',
      })
      return changed
    },
    async removeMember(memberId, actor = null) {
      const m = target(memberId)
      if (m.role === 'owner') ownerOnly(actor, 'remove an owner')
      keepAnOwner(m, 'remove')
      const removed = m.deactivatedAt === undefined ? { ...m, deactivatedAt: now() } : m
      storage.putMember(removed)
      storage.endSessions(memberId, now(), 'member-removed')
      // Every socket of the member, whichever session opened it: nothing more in or out.
      closeWhere((c) => c.memberId === memberId, CloseCode.SessionEnded, 'member removed')
      await writeRoom('workspace', (doc) => setMember(doc, workspaceMember(removed), RELAY_ORIGIN))
      log({ level: 'info', msg: 'member removed', member: memberId, by: actor?.id ?? 'operator' })
      return removed
    },
    async resetPassword(memberId, password, actor = null) {
      const allowed = () => {
        const m = target(memberId)
        if (m.deactivatedAt !== undefined)
          throw new AdminError(409, 'memberId', 'the member was removed')
        // The actor as stored now: a role they lost meanwhile is lost for this too.
        const by = actor && (storage.getMember(actor.id) ?? actor)
        if (m.role === 'owner' && by?.id !== m.id) ownerOnly(by, "reset an owner's password")
        return m
      }
      allowed()
      if (typeof password !== 'string' || password.length < 8)
        throw new AdminError(400, 'password', 'must be at least 8 characters')
      const passwordHash = await hashPassword(password)
      // Checked again on the record as it is after the hash: a removal or a role change made
      // meanwhile stays (the reset writes the hash only).
      storage.putMember({ ...allowed(), passwordHash })
      closeSessions(storage.endSessions(memberId, now(), 'password-reset'), 'password reset')
      log({ level: 'info', msg: 'password reset', member: memberId, by: actor?.id ?? 'operator' })
    },
    listSessions(memberId, options = {}) {
      target(memberId)
      const t = now()
      return storage
        .listSessions(memberId)
        .filter((x) => options.all || (x.endedAt === undefined && x.expiresAt > t))
        .map(sessionView)
    },
    revokeSessions(memberId, sessionId, actor = null) {
      const m = target(memberId)
      if (m.role === 'owner' && actor?.id !== m.id) ownerOnly(actor, "revoke an owner's sessions")
      let ended: string[]
      if (sessionId === undefined) ended = storage.endSessions(memberId, now(), 'revoked')
      else {
        const s = storage.getSession(sessionId)
        if (!s || s.memberId !== memberId)
          throw new AdminError(404, 'sessionId', 'no such session of this member')
        ended = storage.endSession(sessionId, now(), 'revoked') ? [sessionId] : []
      }
      closeSessions(ended, 'session revoked')
      return ended
    },
  }

  // ---------------------------------------------------------------- HTTP

  const app = new Hono<Vars>()

  app.use(
    '*',
    securityHeaders(() => scriptHashes),
  )

  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse()
    if (err instanceof AdminError)
      return c.json({ error: err.message, field: err.field }, err.status)
    log({ level: 'error', msg: 'request failed', path: c.req.path, err: String(err) })
    return c.json({ error: 'internal error' }, 500)
  })

  app.use(
    '/api/*',
    cors({
      origin: (origin) => (allowedOrigins.has(origin) ? origin : null),
      allowHeaders: ['content-type', 'authorization'],
      maxAge: 600,
    }),
  )

  // [A5] Every JSON route's body is bounded before it is read; the webhook has its own limit.
  const loginBody = limitBody(BODY_LIMITS.login)
  const jsonBody = limitBody(BODY_LIMITS.json)
  app.use('/api/*', (c, next) => {
    if (c.req.path.startsWith('/api/webhooks/')) return next()
    return (c.req.path === '/api/login' ? loginBody : jsonBody)(c, next)
  })
  /** The `code` of a 401 the client must answer by signing out (not by refreshing). */
  const sessionErrorCode = (reason: string) =>
    reason === 'revoked' || reason === 'ended' || reason === 'reused'
      ? { code: 'session-ended' }
      : reason === 'session-expired'
        ? { code: 'session-expired' }
        : {}

  const jsonError = (status: number, error: string, extra: Record<string, unknown> = {}) =>
    new HTTPException(status as 400, {
      res: new Response(JSON.stringify({ error, ...extra }), {
        status,
        headers: { 'content-type': 'application/json' },
      }),
    })

  async function readJson(c: Context): Promise<Record<string, unknown>> {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      throw jsonError(400, 'body must be JSON', { field: 'body' })
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw jsonError(400, 'body must be a JSON object', { field: 'body' })
    return body as Record<string, unknown>
  }

  const requireMember = async (c: Context<Vars>, next: () => Promise<void>) => {
    const header = c.req.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7) : undefined
    const auth = await authenticate(token)
    if (!auth.ok) {
      metrics.authFailure(`token-${auth.reason}`)
      throw jsonError(401, `token ${auth.reason}`, sessionErrorCode(auth.reason))
    }
    c.set('member', auth.member)
    c.set('sessionId', auth.sessionId)
    await next()
  }

  const requireAdmin = async (c: Context<Vars>, next: () => Promise<void>) => {
    const role = c.get('member').role
    if (role !== 'owner' && role !== 'admin') {
      metrics.authFailure('not-admin')
      throw jsonError(403, 'owner or admin role required')
    }
    await next()
  }

  app.get('/healthz', (c) => {
    try {
      storage.check()
    } catch (err) {
      return c.json({ ok: false, error: String(err) }, 503)
    }
    return c.json({ ok: true, rooms: rooms.size, connections: connections.size })
  })

  app.get('/metrics', (c) => {
    const verdict = metricsAccess(options.metricsToken, c.req.header('authorization'), () =>
      isLoopback(clientIp(c)),
    )
    if (verdict !== 'ok') {
      metrics.authFailure(`metrics-${verdict}`)
      if (verdict === 'token')
        return c.json({ error: 'metrics need Authorization: Bearer <METRICS_TOKEN>' }, 401, {
          'www-authenticate': 'Bearer',
        })
      return c.json(
        { error: 'metrics are served to loopback clients only (set METRICS_TOKEN)' },
        403,
      )
    }
    return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' })
  })

  app.post('/api/login', async (c) => {
    const body = await readJson(c)
    const { email, password } = body
    if (typeof email !== 'string' || !email)
      throw jsonError(400, 'email is required', { field: 'email' })
    if (typeof password !== 'string' || !password)
      throw jsonError(400, 'password is required', { field: 'password' })
    const emailKey = email.trim().toLowerCase()
    // [A1] The attempt counts before its hash starts, so parallel guesses see each other.
    const admitted = loginThrottle.admit(emailKey, clientIp(c) ?? 'unknown', now())
    if (!admitted.ok) {
      metrics.authFailure('login-rate-limited')
      c.header('retry-after', String(Math.max(1, Math.ceil(admitted.retryAfterMs / 1000))))
      return c.json({ error: 'too many login attempts, try again later' }, 429)
    }
    const member = storage.getMemberByEmail(emailKey)
    // [A2] A few hashes at once behind a short queue (a known address's first); past it, an
    // answer now rather than a long wait.
    const hashed = hashSlots.run(
      () => verifyPassword(password, member?.passwordHash ?? DUMMY_HASH),
      admitted.ticket.known,
    )
    if (!hashed) {
      loginThrottle.cancel(admitted.ticket)
      metrics.authFailure('login-busy')
      c.header('retry-after', '1')
      return c.json({ error: 'too many logins in progress, try again in a second' }, 429)
    }
    const ok = await hashed
    // [S6] A removed member gets the answer of a wrong password, after the same work.
    if (!member || !ok || member.deactivatedAt !== undefined) {
      metrics.authFailure('login')
      return c.json({ error: 'invalid email or password' }, 401)
    }
    loginThrottle.succeeded(admitted.ticket, now())
    // Sessions that ended or ran out a while ago are forgotten (kept a while for the admin list).
    storage.pruneSessions(now() - sessionTtlSeconds * 1000)
    const tokens = await sessions.open(member, {
      userAgent: c.req.header('user-agent'),
      ip: clientIp(c),
    })
    return c.json({ ...tokens, member: publicMember(member) })
  })

  // [S2] The refresh token, never the access token, buys new tokens: once.
  app.post('/api/refresh', async (c) => {
    const { refreshToken } = await readJson(c)
    if (typeof refreshToken !== 'string' || !refreshToken)
      throw jsonError(400, 'refreshToken is required', { field: 'refreshToken' })
    const result = await sessions.refresh(refreshToken)
    if (!result.ok) {
      metrics.authFailure(`refresh-${result.reason}`)
      if (result.reason === 'reused') {
        log({
          level: 'warn',
          msg: 'refresh token reused: session ended',
          session: result.sessionId,
        })
        closeSessions([result.sessionId!], 'session ended: refresh token reused')
      }
      const reason: SessionRefusal | 'session-expired' =
        result.reason === 'expired' ? 'session-expired' : result.reason
      throw jsonError(401, `refresh token ${result.reason}`, sessionErrorCode(reason))
    }
    if ('tokens' in result) return c.json({ ...result.tokens, member: publicMember(result.member) })
    throw new Error('unreachable: a live session check is not a refresh')
  })

  // [S5] Sign-out ends the session: with its access token, or its refresh token once that expired.
  app.post('/api/logout', async (c) => {
    const header = c.req.header('authorization') ?? ''
    const auth = header.startsWith('Bearer ') ? await authenticate(header.slice(7)) : null
    let sessionId = auth?.ok ? auth.sessionId : null
    if (!sessionId) {
      const { refreshToken } = await readJson(c).catch(() => ({}) as Record<string, unknown>)
      const live =
        typeof refreshToken === 'string' ? sessions.sessionOfRefreshToken(refreshToken) : null
      if (live?.ok) sessionId = live.session.id
    }
    if (!sessionId) {
      metrics.authFailure('logout')
      throw jsonError(401, 'no live session: a valid access or refresh token is required')
    }
    storage.endSession(sessionId, now(), 'logout')
    closeSessions([sessionId], 'signed out')
    return c.json({ ok: true })
  })

  // A member's own sessions (their devices), for "sign out my other devices".
  app.get('/api/sessions', requireMember, (c) => {
    const current = c.get('sessionId')
    const list = admin.listSessions(c.get('member').id)
    return c.json({ sessions: list.map((s) => ({ ...s, current: s.id === current })) })
  })
  app.delete('/api/sessions/:sessionId', requireMember, (c) => {
    const member = c.get('member')
    const ended = admin.revokeSessions(member.id, c.req.param('sessionId'), member)
    return c.json({ ended })
  })

  app.get('/api/me', requireMember, (c) => {
    const member = c.get('member')
    const phoneNumbers = storage
      .listAccess(member.id)
      .map((id) => storage.getPhoneNumber(id))
      .filter((pn): pn is PhoneNumberRecord => pn !== null)
    return c.json({ member: publicMember(member), phoneNumbers, rooms: roomsOf(member) })
  })

  app.post('/api/outgoing', requireMember, async (c) => {
    const member = c.get('member')
    const { conversationId, phoneNumberId, body } = await readJson(c)
    if (typeof conversationId !== 'string' || !ID_RE.test(conversationId))
      throw jsonError(400, 'conversationId must be an id', { field: 'conversationId' })
    if (typeof phoneNumberId !== 'string' || !ID_RE.test(phoneNumberId))
      throw jsonError(400, 'phoneNumberId must be an id', { field: 'phoneNumberId' })
    if (typeof body !== 'string' || !body.trim() || body.length > 10_000)
      throw jsonError(400, 'body must be 1–10000 characters', { field: 'body' })
    if (member.role === 'viewer' || !storage.listAccess(member.id).includes(phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    if (storage.getConversationPhoneNumber(conversationId) !== phoneNumberId)
      throw jsonError(404, 'no such conversation on this phone number', { field: 'conversationId' })
    const inbox = await openRoom(`inbox:${phoneNumberId}`)
    const to = getConversation(inbox.doc, conversationId)?.participants[0]
    scheduleIdle(inbox)
    if (!to) throw jsonError(404, 'conversation has no participant', { field: 'conversationId' })
    const checked = checkActivity({
      id: `out-${randomUUID()}`,
      conversationId,
      phoneNumberId,
      direction: 'outgoing',
      kind: 'message',
      from: member.id,
      to,
      body,
      at: now(),
    })
    if (!checked.ok) throw jsonError(400, checked.message, { field: checked.field })
    await ingest(checked.value)
    return c.json({ activity: checked.value }, 202)
  })

  app.post(
    '/api/webhooks/activity',
    bodyLimit({
      maxSize: maxFrameBytes,
      onError: () => {
        throw jsonError(413, `body too large: at most ${maxFrameBytes} bytes`, {
          field: 'body',
          limit: maxFrameBytes,
        })
      },
    }),
    async (c) => {
      const raw = new Uint8Array(await c.req.arrayBuffer())
      const signature = c.req.header('x-switchboard-signature') ?? ''
      const expected = Buffer.from(
        'sha256=' + createHmac('sha256', webhookSecret).update(raw).digest('hex'),
      )
      const given = Buffer.from(signature)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        metrics.authFailure('webhook-signature')
        return c.json({ error: 'bad or missing x-switchboard-signature' }, 401)
      }
      let input: unknown
      try {
        input = JSON.parse(new TextDecoder().decode(raw))
      } catch {
        return c.json({ error: 'body must be JSON', field: 'body' }, 400)
      }
      const list = Array.isArray(input) ? input : [input]
      if (list.length === 0) return c.json({ error: 'no activities', field: 'body' }, 400)
      const activities: Activity[] = []
      for (const [i, item] of list.entries()) {
        const prefix = Array.isArray(input) ? `[${i}].` : ''
        const checked = checkActivity(item)
        if (!checked.ok)
          return c.json({ error: checked.message, field: prefix + checked.field }, 400)
        const a = checked.value
        // [A6] A time far ahead would sort first in every inbox for as long as it lasts; late
        // ones stay accepted, as providers retry and queues delay.
        if (a.at > now() + MAX_ACTIVITY_AHEAD_MS)
          return c.json(
            {
              error: `at is more than ${MAX_ACTIVITY_AHEAD_MS / 60_000} minutes ahead of the relay's clock`,
              field: `${prefix}at`,
            },
            400,
          )
        if (!storage.getPhoneNumber(a.phoneNumberId))
          return c.json({ error: 'unknown phone number', field: `${prefix}phoneNumberId` }, 400)
        const owner = storage.getConversationPhoneNumber(a.conversationId)
        if (owner && owner !== a.phoneNumberId)
          return c.json(
            {
              error: 'conversation belongs to another phone number',
              field: `${prefix}conversationId`,
            },
            400,
          )
        activities.push(a)
      }
      const results = []
      for (const a of activities) results.push({ id: a.id, ...(await ingest(a)) })
      return c.json({ accepted: results.length, results }, 202)
    },
  )

  const adminRoutes = new Hono<Vars>()
  adminRoutes.use('*', requireMember, requireAdmin)
  adminRoutes.get('/members', (c) => c.json({ members: storage.listMembers().map(adminMember) }))
  adminRoutes.post('/members', async (c) => {
    const body = await readJson(c)
    const member = await admin.createMember(body as unknown as NewMember, {
      actor: c.get('member'),
    })
    return c.json({ member: publicMember(member) }, 201)
  })
  adminRoutes.patch('/members/:id', async (c) => {
    const { role } = await readJson(c)
    const member = await admin.setRole(c.req.param('id'), role as MemberRole, c.get('member'))
    return c.json({ member: adminMember(member) })
  })
  adminRoutes.delete('/members/:id', async (c) => {
    const member = await admin.removeMember(c.req.param('id'), c.get('member'))
    return c.json({ member: adminMember(member) })
  })
  adminRoutes.post('/members/:id/password', async (c) => {
    const { password } = await readJson(c)
    await admin.resetPassword(c.req.param('id'), password as string, c.get('member'))
    return c.json({ ok: true })
  })
  adminRoutes.get('/members/:id/sessions', (c) =>
    c.json({
      sessions: admin.listSessions(c.req.param('id'), { all: c.req.query('all') === '1' }),
    }),
  )
  adminRoutes.delete('/members/:id/sessions', (c) =>
    c.json({ ended: admin.revokeSessions(c.req.param('id'), undefined, c.get('member')) }),
  )
  adminRoutes.delete('/members/:id/sessions/:sessionId', (c) =>
    c.json({
      ended: admin.revokeSessions(c.req.param('id'), c.req.param('sessionId'), c.get('member')),
    }),
  )
  adminRoutes.get('/phone-numbers', (c) => c.json({ phoneNumbers: storage.listPhoneNumbers() }))
  adminRoutes.post('/phone-numbers', async (c) => {
    const body = await readJson(c)
    const pn = await admin.createPhoneNumber(body as { name: string; number: string; id?: string })
    return c.json({ phoneNumber: pn }, 201)
  })
  adminRoutes.post('/access', async (c) => {
    const { memberId, phoneNumberId } = await readJson(c)
    await admin.grant(String(memberId), String(phoneNumberId))
    return c.json({ ok: true })
  })
  adminRoutes.delete('/access', async (c) => {
    const { memberId, phoneNumberId } = await readJson(c)
    await admin.revoke(String(memberId), String(phoneNumberId), c.get('member'))
    return c.json({ ok: true })
  })
  adminRoutes.post('/rooms/:room/epoch', async (c) => {
    const name = c.req.param('room')
    const parsed = parseRoom(name)
    if (!parsed || parsed.kind !== 'inbox')
      throw jsonError(400, 'only inbox rooms have epochs', { field: 'room' })
    return c.json(await startEpoch(name))
  })
  // Owner only: a restore writes over every member's triage since `at` (docs/restore.md).
  adminRoutes.post('/restore', async (c) => {
    const member = c.get('member')
    if (member.role !== 'owner') {
      metrics.authFailure('not-owner')
      throw jsonError(403, 'owner role required')
    }
    const { room, at } = await readJson(c)
    return c.json(await admin.restore(String(room ?? ''), at, member.id))
  })
  app.route('/api/admin', adminRoutes)

  // The audit history that left inbox rooms (archived past the horizon), for "who marked what"
  // and the team figures: `?conversationId=` narrows it to one conversation.
  app.get('/api/history/:phoneNumberId', requireMember, async (c) => {
    const member = c.get('member')
    const phoneNumberId = c.req.param('phoneNumberId') ?? ''
    if (!storage.listAccess(member.id).includes(phoneNumberId))
      throw jsonError(403, 'no access to this phone number')
    const conversationId = c.req.query('conversationId')
    const rows = await storage.readArchive(`inbox:${phoneNumberId}`, conversationId)
    const entries = rows.map((r) => JSON.parse(r.data) as HistoryEntry)
    entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    return c.json({ entries })
  })

  app.get('/sync/:room', async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      return c.json({ error: 'expected a WebSocket upgrade' }, 426)
    if (closing) return c.json({ error: 'relay is shutting down' }, 503)
    if (!originAllowed(c)) {
      metrics.authFailure('origin')
      log({ level: 'warn', msg: 'origin refused', origin: c.req.header('origin') })
      return c.json({ error: 'origin not allowed' }, 403)
    }
    const name = c.req.param('room')
    const roomName = parseRoom(name)
    const auth = await authenticate(c.req.query('token'))
    // The device this socket writes as [L1]: bound to the member now if nobody holds it.
    const device = c.req.query('device')
    let refusal: { code: number; reason: string } | null = null
    let conn: Connection | null = null
    if (!auth.ok)
      refusal = {
        code: auth.reason === 'revoked' ? CloseCode.SessionEnded : CloseCode.Unauthorized,
        reason: `token ${auth.reason}`,
      }
    else if (!roomName) refusal = { code: CloseCode.Forbidden, reason: 'no such room' }
    else {
      const granted = access(auth.member, roomName)
      if (!granted) refusal = { code: CloseCode.Forbidden, reason: 'no access to this room' }
      else if (device !== undefined && !isValidId(device))
        refusal = { code: CloseCode.Malformed, reason: 'device is not an id' }
      else if (device !== undefined && !claimDevice(device, auth.member.id))
        refusal = { code: CloseCode.DeviceTaken, reason: 'device id of another member' }
      else
        conn = new Connection(
          auth.member,
          auth.sessionId,
          roomName,
          granted.readOnly,
          c.req.query('ack') === '1',
        )
    }
    if (refusal) metrics.authFailure(refusal.reason.replace(/ /g, '-'))
    const exp = auth.ok ? auth.exp : 0
    return upgradeWebSocket(c, {
      onOpen(_evt, ws) {
        if (refusal || !conn) {
          metrics.closed(refusal?.code ?? CloseCode.Forbidden)
          ws.close(refusal?.code ?? CloseCode.Forbidden, refusal?.reason ?? 'refused')
          return
        }
        const self = conn
        // Counted when open (onOpen runs one socket at a time), so a burst of upgrades cannot
        // all pass the check before any is counted [L4].
        const open = socketsOf.get(self.memberId) ?? 0
        if (maxSocketsPerMember > 0 && open >= maxSocketsPerMember) {
          metrics.closed(CloseCode.SlowConsumer)
          metrics.reject('member-socket-cap')
          ws.close(
            CloseCode.SlowConsumer,
            `member has ${maxSocketsPerMember} open sockets: close some, retry later`,
          )
          return
        }
        socketsOf.set(self.memberId, open + 1)
        self.counted = true
        if (typeof ws.raw === 'object' && ws.raw !== null) connectionOf.set(ws.raw, self)
        self.ws = ws
        connections.add(self)
        metrics.connections = connections.size
        const ttl = Math.min(exp * 1000 - now(), 2 ** 31 - 1)
        self.expiry = setTimeout(() => self.close(CloseCode.Unauthorized, 'token expired'), ttl)
        openRoom(self.roomName.name).then(
          (room) => {
            if (self.closed) return scheduleIdle(room)
            self.room = room
            room.join(self)
            const queued = self.queue
            self.queue = []
            self.queuedBytes = 0
            for (const frame of queued) if (!self.closed) self.handle(frame)
          },
          (err: unknown) => {
            log({ level: 'error', msg: 'room refused', room: self.roomName.name, err: String(err) })
            self.close(CloseCode.Unreadable, 'room storage unreadable')
          },
        )
      },
      onMessage(evt, _ws) {
        const self = conn
        if (!self || self.closed) return
        const data = evt.data
        if (typeof data === 'string')
          return self.reject(CloseCode.Malformed, 'text-frame', 'binary frames only')
        const frame = new Uint8Array(data as ArrayBuffer)
        // A sync step 2 may be bigger: a replica's reply to the relay's step 1 carries its whole
        // delete set, and a grown room's replicas could not reconnect at all under the frame cap.
        const cap = isSyncStep2(frame) ? maxSyncFrameBytes : maxFrameBytes
        if (frame.byteLength > cap)
          return self.reject(CloseCode.TooLarge, 'too-large', `${frame.byteLength} bytes`)
        if (!self.room) {
          self.queue.push(frame)
          self.queuedBytes += frame.byteLength
          if (self.queue.length > 256 || self.queuedBytes > maxSyncFrameBytes)
            self.reject(
              CloseCode.SlowConsumer,
              'queue-full',
              'too many frames before the room loaded',
            )
          return
        }
        self.handle(frame)
      },
      onClose() {
        conn?.dispose()
      },
      onError() {
        conn?.dispose()
      },
    })
  })

  return {
    app: app as unknown as Hono,
    storage,
    metrics,
    maxFrameBytes,
    maxSyncFrameBytes,
    maxSocketsPerMember,
    maxSyncBytesPerMember,
    maxPresenceBytes,
    presenceUpdatesPerSecond,
    ingest,
    writeRoom,
    startEpoch,
    admin,
    syncBudget(raw) {
      const member = () =>
        typeof raw === 'object' && raw !== null ? connectionOf.get(raw)?.memberId : undefined
      return {
        take(bytes) {
          const m = member()
          // A socket the relay did not accept is closing: it gets nothing buffered.
          if (m === undefined) return false
          const used = syncBytesOf.get(m) ?? 0
          if (maxSyncBytesPerMember > 0 && used + bytes > maxSyncBytesPerMember) return false
          syncBytesOf.set(m, used + bytes)
          metrics.syncBytesInFlight += bytes
          return true
        },
        give(bytes) {
          const m = member()
          if (m === undefined) return
          metrics.syncBytesInFlight -= bytes
          const left = (syncBytesOf.get(m) ?? 0) - bytes
          if (left > 0) syncBytesOf.set(m, left)
          else syncBytesOf.delete(m)
        },
      }
    },
    reportRejectedFrame(reason, detail) {
      metrics.reject(reason)
      log({ level: 'warn', msg: 'frame rejected', reason, detail: detail.slice(0, 300) })
    },
    loadedRooms: () => [...rooms.keys()].sort(),
    connectionCount: () => connections.size,
    async close() {
      closing = true
      if (keepalive) clearInterval(keepalive)
      closeWhere(() => true, CloseCode.GoingAway, 'relay shutting down')
      await Promise.allSettled([...loading.values()])
      await Promise.allSettled([...rooms.values()].map((r) => r.durable()))
      for (const room of [...rooms.values()]) unload(room)
      await storage.close()
    },
  }
}
