/**
 * @module createSwitchboard: a replica of the workspace, its inboxes and opened conversations.
 *
 * Local first: every room loads from local storage before anything touches the network, so
 * the inbox is usable and markable offline; every write is durable on this device before its
 * promise resolves. Online, each room syncs through y-websocket with `ack=1`, and `pending`
 * counts this device's changes the relay has not yet acknowledged as stored.
 */
import {
  conversationIds,
  createHlc,
  formatTimestamp,
  parseRoom,
  readWorkspace,
  roomName,
  unreadCount,
  type Author,
  type Hlc,
} from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { closeReaction, ErrorCode, SwitchboardError } from './errors.ts'
import { InboxHandle } from './inbox.ts'
import { ContactsHandle } from './contacts.ts'
import { ConversationRoomHandle } from './conversation.ts'
import { LEDGER_ROOM, PendingLedger } from './ledger.ts'
import { revokedNotice, refusedNotice } from './notices.ts'
import { describeChange, unsyncedChanges } from './recovery.ts'
import { RoomReplica, type RoomContext } from './room.ts'
import { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
import { indexeddbStorage } from './storage/indexeddb.ts'
import type {
  ConnectionStatus,
  ConversationHandle,
  Inbox,
  Member,
  PhoneNumberWithUnread,
  Switchboard,
  SwitchboardOptions,
  SyncNotice,
  Viewer,
} from './types.ts'

const LEDGER_COMPACT_AFTER = 256
/** Reconnect attempts after which a room that cannot reach the relay counts as offline. */
const OFFLINE_AFTER_RETRIES = 2

interface Presence {
  memberId: string
  name: string
  deviceId: string
  viewing: string | null
  replying: boolean
}

/** A fresh device id: one per tab or process, so two never write as one writer (P2). */
export function newDeviceId(prefix = 'd'): string {
  const bytes = new Uint8Array(10)
  globalThis.crypto.getRandomValues(bytes)
  return prefix + '-' + [...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')
}

/** A random Yjs client id (uint32, as Yjs draws them). */
export function randomClientId(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!
}

/** The `exp` claim of a JWT in ms, or null when the token is not a JWT. */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : null
  } catch {
    return null
  }
}

function resolveStorage(storage: SwitchboardOptions['storage']): ClientStorage {
  if (storage === 'memory') return memoryStorage()
  if (storage === 'indexeddb') return indexeddbStorage()
  if (typeof storage === 'string')
    throw new Error(`storage '${storage}' is not available here (use @switchboard/client/node)`)
  return storage
}

/** Internals the inbox and conversation handles share. */
export interface Internals {
  deviceId: string
  origin: object
  ready: Promise<void>
  author(): Author
  member(): Member | null
  members(): Member[]
  room(name: string): RoomReplica
  release(name: string): void
  /** GET a relay API path with this session's token; errors are SwitchboardErrors. */
  get<T>(path: string): Promise<T>
}

export function createSwitchboard(options: SwitchboardOptions): Switchboard {
  const deviceId = options.deviceId ?? newDeviceId()
  if (!/^[A-Za-z0-9_.+\-~]{1,128}$/.test(deviceId))
    throw new Error(`createSwitchboard: invalid deviceId ${JSON.stringify(deviceId)}`)
  const storage = resolveStorage(options.storage)
  const httpBase = options.url.replace(/\/+$/, '')
  const wsBase = httpBase.replace(/^http/, 'ws') + '/sync'
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket
  const origin = { deviceId }
  const hlc: Hlc = createHlc(deviceId, options.now)
  const ledger = new PendingLedger(deviceId)

  let token = options.token
  let refreshToken = options.refreshToken ?? null
  let expiresAt = options.expiresAt ?? tokenExpiry(token)
  let member: Member | null = options.member ?? null
  let wantOnline = options.connect ?? true
  let error: SwitchboardError | null = null
  let destroyed = false
  let lastSyncedAt: number | null = null
  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  let refreshing: Promise<boolean> | null = null
  const stopped = new Set<string>()
  /** Rooms the relay said this member may no longer read (4403): dropped, not reopened [R4]. */
  const revoked = new Set<string>()
  const notices: SyncNotice[] = []
  const noticeListeners = new Set<(n: SyncNotice) => void>()
  const rooms = new Map<string, RoomReplica>()
  const inboxes = new Map<string, InboxHandle>()
  const statusListeners = new Set<(s: ConnectionStatus, pending: number) => void>()
  const errorListeners = new Set<(e: SwitchboardError) => void>()
  const workspaceListeners = new Set<() => void>()
  const presenceListeners = new Set<() => void>()
  let presence: Presence | null = null
  let contacts: ContactsHandle | null = null

  // ---- storage: one queue for every write of this replica -------------------------------
  let queue: Promise<void> = Promise.resolve()
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    const run = queue.then(task)
    queue = run.catch(() => {})
    return run
  }
  let ledgerRecords = 0
  const appendLedger = async (bytes: Uint8Array) => {
    if (ledgerRecords >= LEDGER_COMPACT_AFTER) {
      await storage.compact(LEDGER_ROOM, ledger.compacted(await storage.load(LEDGER_ROOM)))
      ledgerRecords = 1
    } else {
      await storage.append(LEDGER_ROOM, bytes)
      ledgerRecords++
    }
  }
  let ledgerSaveScheduled = false
  const scheduleLedgerSave = () => {
    if (ledgerSaveScheduled || destroyed) return
    ledgerSaveScheduled = true
    // Only this device's record: another tab's is that tab's to write (its count is corrected
    // from the relay's state vector on its next connect, never undercounted by us).
    enqueue(async () => {
      ledgerSaveScheduled = false
      await appendLedger(ledger.record())
    }).catch(fail)
  }

  let ledgerLoaded!: () => void
  const whenLedger = new Promise<void>((resolve) => (ledgerLoaded = resolve))

  const ctx: RoomContext = {
    storage,
    ledger,
    origin,
    enqueue,
    async clientIdFor(name, avoid) {
      await whenLedger
      let id = ledger.clientIdFor(name)
      if (id === undefined || avoid?.has(id)) {
        do id = randomClientId()
        while (avoid?.has(id))
        ledger.setClientId(name, id)
        scheduleLedgerSave()
      }
      return id
    },
    replayAuthor: () =>
      member && member.role !== 'viewer' ? { memberId: member.id, deviceId } : null,
    saveLedger: async () => {
      ledger.savedHlc = formatTimestamp(hlc.peek())
      await appendLedger(ledger.record())
    },
    onStorageError: (e) =>
      fail(
        new SwitchboardError(ErrorCode.Storage, `local replica write failed: ${e}`, { cause: e }),
      ),
    // Nothing removed, nothing to tell: a rebase the relay refuses again is told when it drops.
    onRecovered: (report) =>
      report.dropped.length > 0 && tell(refusedNotice(report, roomLabel(report.room))),
  }

  // ---- notices: refused changes and revoked rooms (docs/recovery.md) ----------------------
  function tell(notice: SyncNotice) {
    notices.push(notice)
    for (const l of noticeListeners) l(notice)
    notify()
  }

  /** A room in the user's words: the phone number's name for an inbox. */
  function roomLabel(name: string): string {
    const parsed = parseRoom(name)
    if (parsed?.kind === 'inbox') {
      const pn = readWorkspace(room(roomName.workspace).doc).phoneNumbers.find(
        (p) => p.id === parsed.id,
      )
      return pn ? `the inbox of ${pn.name} (${pn.number})` : `the inbox ${parsed.id}`
    }
    if (parsed?.kind === 'conversation') return `conversation ${parsed.id}`
    return name
  }

  /**
   * Access to `name` is gone (4403) [R4]: its replica, its local data and its pending changes
   * leave this device, and so do those of the conversations of a dropped inbox that are open or
   * pending; the user is told what was never stored. Other rooms go on syncing.
   */
  async function dropRoom(name: string, code: number, reason: string): Promise<void> {
    if (revoked.has(name)) return
    revoked.add(name)
    const label = roomLabel(name)
    const names = [name]
    const r = rooms.get(name)
    let dropped: SyncNotice['dropped'] = []
    if (r) {
      await r.loaded.catch(() => {})
      const acked = ledger.ackedIn(name)
      const has = (client: number, clock: number) => clock < (acked.get(client) ?? Infinity)
      dropped = unsyncedChanges(r.doc, has).map((c) => describeChange(name, c, 'revoked'))
      if (name.startsWith('inbox:')) {
        const inConversations = new Set(conversationIds(r.doc).map(roomName.conversation))
        for (const other of new Set([...rooms.keys(), ...ledger.rooms()]))
          if (inConversations.has(other)) names.push(other)
      }
    }
    const parsed = parseRoom(name)
    if (parsed?.kind === 'inbox' && parsed.id) inboxes.delete(parsed.id)
    for (const n of names) {
      const replica = rooms.get(n)
      rooms.delete(n)
      stopped.delete(n)
      if (replica) await replica.destroy()
      ledger.forgetRoom(n)
    }
    await enqueue(async () => {
      for (const n of names) await storage.clear(n)
      await appendLedger(ledger.record())
    }).catch(fail)
    // A conversation goes with its number, whose inbox tells; alone it tells only a loss.
    if (parsed?.kind !== 'conversation' || dropped.length > 0)
      tell(revokedNotice({ room: name, label, code, reason, dropped }))
    emitWorkspace()
  }

  function fail(e: unknown) {
    const err =
      e instanceof SwitchboardError
        ? e
        : new SwitchboardError(ErrorCode.Storage, String(e), { cause: e })
    error = err
    for (const l of errorListeners) l(err)
    notify()
  }

  // ---- rooms ------------------------------------------------------------------------------
  /** Every socket declares the device it writes as, which the relay binds to the member [L1]. */
  const socketParams = () => ({ token, ack: '1', device: deviceId })

  function providerOptions(name: string) {
    return {
      serverUrl: wsBase,
      params: socketParams(),
      WebSocket: WebSocketImpl,
      shouldReconnect: (event: CloseEvent) => {
        if (event.code === CloseCode.EpochChanged) {
          // The room started a new epoch: adopt it (fresh doc, replay our entries) [E3].
          void rooms.get(name)?.rebuild('epoch')
          return false
        }
        const reaction = closeReaction(event.code)
        if (reaction.action === 'retry') {
          if (reaction.tell)
            fail(
              new SwitchboardError(reaction.tell, `relay cannot open ${name} right now; retrying`, {
                room: name,
              }),
            )
          return true
        }
        if (reaction.action === 'recover') {
          // Drop the refused change, resync, tell the user [R1]; stop only when the refusal
          // cannot be about this device's changes (none pending).
          if (rooms.get(name)?.recover({ code: event.code, reason: event.reason ?? '' }))
            return false
        }
        if (reaction.action === 'drop') {
          void dropRoom(name, event.code, event.reason ?? '')
          return false
        }
        if (reaction.action === 'sign-out') {
          endSession(`signed out: ${event.reason || 'this session was ended on the relay'}`)
          return false
        }
        if (reaction.action === 'reauth') {
          // A socket opened with an older token closes when that token expires: reconnect it
          // with the current one; refresh only when the current one is itself stale.
          const r = rooms.get(name)
          if (r && expiresAt && expiresAt - Date.now() > 5_000) setTimeout(() => connectRoom(r), 0)
          else void reauthenticate()
          return false
        }
        if (reaction.code === ErrorCode.DeviceTaken) {
          // Every room writes as this device: stop them all, the owner of the id mints a new one.
          for (const r of rooms.values()) stopped.add(r.name)
          fail(
            new SwitchboardError(
              ErrorCode.DeviceTaken,
              `device id ${deviceId} belongs to another member: open the replica with a new one`,
            ),
          )
          for (const r of rooms.values()) r.disconnect()
          return false
        }
        stopped.add(name)
        fail(
          new SwitchboardError(
            reaction.code,
            `relay closed ${name} (${event.code}${event.reason ? ' ' + event.reason : ''})`,
            { room: name },
          ),
        )
        return false
      },
    }
  }

  function connectRoom(room: RoomReplica) {
    if (!wantOnline || destroyed || stopped.has(room.name) || revoked.has(room.name)) return
    if (!WebSocketImpl) {
      fail(new SwitchboardError(ErrorCode.Unavailable, 'no WebSocket implementation available'))
      return
    }
    void room.loaded.then(() => {
      if (wantOnline && !destroyed && !stopped.has(room.name))
        room.connect(providerOptions(room.name))
    })
  }

  function room(name: string): RoomReplica {
    let r = rooms.get(name)
    if (!r) {
      r = new RoomReplica(name, ctx)
      rooms.set(name, r)
      r.onChange(notify)
      r.loaded.catch((e) =>
        fail(new SwitchboardError(ErrorCode.Storage, `cannot load ${name}: ${e}`, { cause: e })),
      )
      if (name.startsWith('inbox:')) {
        if (presence) r.awareness.setLocalState(presence)
        r.awareness.on('change', emitPresence)
      }
      connectRoom(r)
    }
    return r
  }

  /** A conversation room closes when its last handle does, once nothing of it is pending. */
  function release(name: string) {
    const r = rooms.get(name)
    if (!r || --r.refs > 0 || !name.startsWith('conversation:')) return
    if (ledger.clientsIn(name).length > 0) return
    rooms.delete(name)
    void r.destroy()
  }

  // ---- loading ----------------------------------------------------------------------------
  const ready = (async () => {
    const records = await storage.load(LEDGER_ROOM)
    const snapshot = ledger.load(records)
    ledgerRecords = records.length
    if (records.length > 1) {
      await enqueue(() => storage.compact(LEDGER_ROOM, snapshot))
      ledgerRecords = 1
    }
    if (ledger.savedHlc) hlc.receive(ledger.savedHlc)
    ledgerLoaded()
    // Rooms with unacknowledged changes are opened so they get pushed on the next connect.
    for (const name of ledger.rooms()) room(name)
    const workspace = room(roomName.workspace)
    await workspace.loaded
    openInboxes()
    // The phone numbers are known now; a big inbox may take seconds more to parse.
    emitWorkspace()
    // Usable offline: the visible inboxes are loaded from storage before whenLoaded resolves.
    await Promise.all([...inboxes.values()].map((i) => i.whenLoaded))
    workspace.doc.on('update', () => {
      openInboxes()
      emitWorkspace()
    })
  })()
  ready.catch((e) => {
    ledgerLoaded()
    fail(e)
  })
  ledger.onChange((reason) => {
    if (reason === 'ack') scheduleLedgerSave()
    notify()
  })

  function visiblePhoneNumbers() {
    // The relay admits a member to exactly the inboxes the workspace's access map lists.
    if (!member) return []
    const ws = readWorkspace(room(roomName.workspace).doc)
    const mine = ws.access.get(member.id) ?? []
    return ws.phoneNumbers.filter((p) => mine.includes(p.id))
  }

  /** Opens the inboxes shared with the member; closes those no longer shared (revoked). */
  function openInboxes() {
    const visible = new Set(visiblePhoneNumbers().map((p) => p.id))
    // A revoked inbox stays closed until the workspace says so too; a later grant reopens it.
    for (const name of revoked)
      if (parseRoom(name)?.kind === 'inbox' && !visible.has(parseRoom(name)!.id!))
        revoked.delete(name)
    for (const id of visible) if (!revoked.has(roomName.inbox(id))) inbox(id)
    for (const id of [...inboxes.keys()]) {
      const name = roomName.inbox(id)
      if (visible.has(id) || ledger.clientsIn(name).length > 0) continue
      inboxes.delete(id)
      const r = rooms.get(name)
      rooms.delete(name)
      stopped.delete(name)
      void r?.destroy()
    }
  }

  // ---- auth -------------------------------------------------------------------------------
  function scheduleRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = null
    if (!expiresAt || destroyed || !wantOnline) return
    const left = expiresAt - Date.now()
    const delay = Math.max(1_000, left - Math.min(60_000, left / 5))
    refreshTimer = setTimeout(() => void refresh(), Math.min(delay, 2 ** 31 - 1))
    ;(refreshTimer as { unref?: () => void }).unref?.()
  }

  function setToken(next: string, nextExpiresAt?: number, nextRefreshToken?: string) {
    token = next
    expiresAt = nextExpiresAt ?? tokenExpiry(next)
    if (nextRefreshToken) refreshToken = nextRefreshToken
    for (const r of rooms.values()) if (r.provider) r.provider.params = socketParams()
    options.onToken?.(token, expiresAt ?? 0, refreshToken ?? undefined)
    scheduleRefresh()
  }

  /**
   * The relay ended this session (sign-out elsewhere, an admin, removal): stop every room and
   * say so; only logging in again (a new session) brings the replica back online.
   */
  function endSession(message: string) {
    wantOnline = false
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = null
    for (const r of rooms.values()) r.disconnect()
    fail(new SwitchboardError(ErrorCode.SessionEnded, message))
  }

  /** POST /api/refresh with the refresh token, which rotates; true when new tokens were installed. */
  function refresh(): Promise<boolean> {
    if (refreshing) return refreshing
    refreshing = (async () => {
      try {
        if (!refreshToken) {
          fail(new SwitchboardError(ErrorCode.Unauthorized, 'session expired: log in again'))
          return false
        }
        const res = await doFetch(httpBase + '/api/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        })
        if (res.status === 401 || res.status === 403) {
          const { code } = (await res.json().catch(() => ({}))) as { code?: string }
          if (code === 'session-ended')
            endSession('signed out: this session was ended on the relay')
          else fail(new SwitchboardError(ErrorCode.Unauthorized, 'session expired: log in again'))
          return false
        }
        if (!res.ok) throw new Error(`refresh: HTTP ${res.status}`)
        const body = (await res.json()) as {
          token: string
          expiresAt: number
          refreshToken?: string
          member?: Member
        }
        if (body.member) member = body.member
        setToken(body.token, body.expiresAt, body.refreshToken)
        return true
      } catch {
        // relay unreachable: try again shortly, the current token may still be valid
        if (refreshTimer) clearTimeout(refreshTimer)
        refreshTimer = setTimeout(() => void refresh(), 15_000)
        ;(refreshTimer as { unref?: () => void }).unref?.()
        return false
      } finally {
        refreshing = null
        notify()
      }
    })()
    notify()
    return refreshing
  }

  async function reauthenticate() {
    const ok = await refresh()
    if (ok) {
      for (const r of rooms.values()) connectRoom(r)
    } else if (error?.code === ErrorCode.Unauthorized || error?.code === ErrorCode.SessionEnded) {
      for (const r of rooms.values()) r.disconnect()
    } else {
      setTimeout(() => void reauthenticate(), 5_000)
    }
    notify()
  }

  async function fetchMember() {
    if (member || !wantOnline) return
    try {
      const res = await doFetch(httpBase + '/api/me', {
        headers: { authorization: `Bearer ${token}` },
      })
      if (!res.ok) return
      const me = (await res.json()) as { member: Member }
      member = me.member
      openInboxes()
      emitWorkspace()
    } catch {
      // offline: the member is learnt on a later connect
    }
  }

  // ---- status -----------------------------------------------------------------------------
  let lastStatus: ConnectionStatus = 'offline'
  let lastPending = -1

  function computeStatus(): ConnectionStatus {
    if (!wantOnline || destroyed) return 'offline'
    if (refreshing) return 'connecting'
    const live = [...rooms.values()].filter((r) => !stopped.has(r.name))
    if (live.length === 0) return 'connecting'
    if (live.every((r) => r.connected && r.synced)) return 'online'
    if (
      live.some(
        (r) => !r.provider || r.connected || (r.connecting && r.retries <= OFFLINE_AFTER_RETRIES),
      )
    )
      return 'connecting'
    return 'offline'
  }

  function notify() {
    const status = computeStatus()
    const pending = ledger.pending
    if (status === 'online' && pending === 0) lastSyncedAt = Date.now()
    if (status === lastStatus && pending === lastPending) return
    lastStatus = status
    lastPending = pending
    for (const l of statusListeners) l(status, pending)
  }

  /** An error whenSynced cannot get past: the session's, or a stopped room's that is still open. */
  function blocking(e: SwitchboardError): boolean {
    if (e.room === undefined) return e.code !== ErrorCode.Storage
    return stopped.has(e.room) && rooms.has(e.room)
  }

  function emitWorkspace() {
    for (const l of workspaceListeners) l()
  }

  function emitPresence() {
    for (const l of presenceListeners) l()
  }

  function updatePresence(patch: Partial<Presence>) {
    if (!member) return
    presence = {
      memberId: member.id,
      name: member.name,
      deviceId,
      viewing: presence?.viewing ?? null,
      replying: presence?.replying ?? false,
      ...patch,
    }
    for (const r of rooms.values())
      if (r.name.startsWith('inbox:')) r.awareness.setLocalState(presence)
  }

  // ---- handles ----------------------------------------------------------------------------
  const internals: Internals = {
    deviceId,
    origin,
    ready,
    author() {
      if (!member)
        throw new SwitchboardError(ErrorCode.Unauthorized, 'no member: log in before marking')
      if (member.role === 'viewer')
        throw new SwitchboardError(ErrorCode.Forbidden, 'viewers cannot change conversations')
      return { memberId: member.id, deviceId, clock: hlc }
    },
    member: () => member,
    members: () => readWorkspace(room(roomName.workspace).doc).members as Member[],
    room,
    release,
    async get<T>(path: string): Promise<T> {
      let res: Response
      try {
        res = await doFetch(httpBase + path, { headers: { authorization: `Bearer ${token}` } })
      } catch (cause) {
        throw new SwitchboardError(ErrorCode.Unavailable, `cannot reach the relay for ${path}`, {
          cause,
        })
      }
      if (res.ok) return (await res.json()) as T
      const body = await res.text().catch(() => '')
      const code =
        res.status === 401
          ? ErrorCode.Unauthorized
          : res.status === 403
            ? ErrorCode.Forbidden
            : res.status >= 500
              ? ErrorCode.Unavailable
              : ErrorCode.Rejected
      throw new SwitchboardError(code, `${path}: ${res.status} ${body.slice(0, 200)}`)
    },
  }

  function inbox(phoneNumberId: string): InboxHandle {
    let handle = inboxes.get(phoneNumberId)
    if (!handle) {
      handle = new InboxHandle(internals, phoneNumberId)
      inboxes.set(phoneNumberId, handle)
      handle.onChange(() => emitWorkspace())
    }
    return handle
  }

  if (wantOnline) {
    scheduleRefresh()
    void fetchMember()
    if (expiresAt && expiresAt <= Date.now()) void reauthenticate()
  }

  const sb: Switchboard = {
    deviceId,
    get member() {
      return member
    },
    get status() {
      return computeStatus()
    },
    get pending() {
      return ledger.pending
    },
    get error() {
      return error
    },
    get lastSyncedAt() {
      return lastSyncedAt
    },
    whenLoaded: ready,
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    onError(listener) {
      errorListeners.add(listener)
      return () => errorListeners.delete(listener)
    },
    get notices() {
      return notices
    },
    onNotice(listener) {
      noticeListeners.add(listener)
      return () => noticeListeners.delete(listener)
    },
    phoneNumbers(): PhoneNumberWithUnread[] {
      const readable = visiblePhoneNumbers().filter((p) => !revoked.has(roomName.inbox(p.id)))
      return readable.map((p) => ({
        ...p,
        unread: unreadCount(inbox(p.id).doc),
        loaded: inbox(p.id).loaded,
      }))
    },
    members: () => internals.members(),
    onWorkspaceChange(listener) {
      workspaceListeners.add(listener)
      return () => workspaceListeners.delete(listener)
    },
    inbox: (id): Inbox => inbox(id),
    contacts() {
      contacts ??= new ContactsHandle(internals)
      return contacts
    },
    openConversation(id, phoneNumberId): ConversationHandle {
      return new ConversationRoomHandle(internals, id, inbox(phoneNumberId))
    },
    setViewing(conversationId) {
      updatePresence({ viewing: conversationId })
    },
    setReplying(replying) {
      updatePresence({ replying })
    },
    viewers(conversationId): Viewer[] {
      const seen = new Map<string, Viewer>()
      for (const r of rooms.values()) {
        if (!r.name.startsWith('inbox:')) continue
        for (const [clientID, state] of r.awareness.getStates()) {
          const p = state as Partial<Presence>
          if (clientID === r.doc.clientID || p.deviceId === deviceId) continue
          if (p.viewing !== conversationId || !p.memberId || !p.deviceId) continue
          seen.set(p.deviceId, {
            memberId: p.memberId,
            name: p.name ?? p.memberId,
            deviceId: p.deviceId,
            replying: !!p.replying,
          })
        }
      }
      return [...seen.values()]
    },
    onPresence(listener) {
      presenceListeners.add(listener)
      return () => presenceListeners.delete(listener)
    },
    whenSynced() {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (error && blocking(error)) {
            off()
            reject(error)
          } else if (computeStatus() === 'online' && ledger.pending === 0) {
            off()
            resolve()
          }
        }
        const offStatus = sb.onStatus(check)
        const offError = sb.onError(check)
        const off = () => {
          offStatus()
          offError()
        }
        void ready.then(check, (e) => {
          off()
          reject(e)
        })
      })
    },
    setToken,
    refresh,
    async signOut() {
      wantOnline = false
      if (refreshTimer) clearTimeout(refreshTimer)
      refreshTimer = null
      // Our own sockets first, so the relay's 4410 for this session is not taken for a revocation.
      for (const r of rooms.values()) r.disconnect()
      notify()
      try {
        const res = await doFetch(httpBase + '/api/logout', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(refreshToken ? { refreshToken } : {}),
        })
        // 401: the session had already ended, which is what signing out asks for.
        return res.ok || res.status === 401
      } catch {
        return false
      }
    },
    connect() {
      wantOnline = true
      stopped.clear()
      error = null
      for (const r of rooms.values()) connectRoom(r)
      scheduleRefresh()
      void fetchMember()
      notify()
    },
    disconnect() {
      wantOnline = false
      if (refreshTimer) clearTimeout(refreshTimer)
      for (const r of rooms.values()) r.disconnect()
      notify()
    },
    flush: () => queue,
    async destroy() {
      if (destroyed) return
      if (refreshTimer) clearTimeout(refreshTimer)
      await ready.catch(() => {})
      for (const r of rooms.values()) await r.destroy()
      destroyed = true
      await queue
      rooms.clear()
      await storage.close()
      notify()
    },
  }
  return sb
}
