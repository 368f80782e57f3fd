/**
 * @module createSwitchboard: a replica of the workspace, its inboxes and opened conversations.
 *
 * Local first: every room loads from local storage before anything touches the network, so
 * the inbox is usable and markable offline; every write is durable on this device before its
 * promise resolves. Online, each room syncs through y-websocket with `ack=1`, and `pending`
 * counts this device's changes the relay has not yet acknowledged as stored.
 *
 * This file composes: the session (`session.ts`), the rooms (`room-registry.ts`, reacting to
 * close codes in `close-reactions.ts`, revoked rooms in `revocation.ts`), the inboxes
 * (`inbox-registry.ts`), the ledger's storage (`ledger-store.ts`), presence (`presence.ts`),
 * status (`status.ts`), notices (`notices.ts`) and the one undo stack (`undo.ts`, with bulk
 * steps from `bulk-step.ts`).
 */
import { createHlc, parseRoom, readWorkspace, roomName, type Hlc } from '@switchboard/core'
import { Assignees } from './assignees.ts'
import { applyBulk, undoStep } from './bulk-step.ts'
import { reactToClose } from './close-reactions.ts'
import { ContactsHandle } from './contacts.ts'
import { ConversationRoomHandle } from './conversation.ts'
import { ErrorCode, SwitchboardError } from './errors.ts'
import { isDeviceId, newDeviceId } from './ids.ts'
import { InboxRegistry } from './inbox-registry.ts'
import type { Internals } from './internals.ts'
import { LedgerStore } from './ledger-store.ts'
import { PendingLedger } from './ledger.ts'
import { Listeners } from './listeners.ts'
import { Notices, refusedNotice, roomLabel } from './notices.ts'
import { Presence } from './presence.ts'
import { RelayList, relayUrls } from './relays.ts'
import { dropRoom } from './revocation.ts'
import { RoomRegistry } from './room-registry.ts'
import type { RoomContext } from './room.ts'
import { Session } from './session.ts'
import { SyncStatus } from './status.ts'
import { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
import { indexeddbStorage } from './storage/indexeddb.ts'
import type { Member, Switchboard, SwitchboardOptions, SyncNotice } from './types.ts'
import { UndoStack } from './undo.ts'

function resolveStorage(storage: SwitchboardOptions['storage']): ClientStorage {
  if (storage === 'memory') return memoryStorage()
  if (storage === 'indexeddb') return indexeddbStorage()
  if (typeof storage === 'string')
    throw new Error(`storage '${storage}' is not available here (use @switchboard/client/node)`)
  return storage
}

export function createSwitchboard(options: SwitchboardOptions): Switchboard {
  const deviceId = options.deviceId ?? newDeviceId()
  if (!isDeviceId(deviceId))
    throw new Error(`createSwitchboard: invalid deviceId ${JSON.stringify(deviceId)}`)
  const storage = resolveStorage(options.storage)
  const relays = new RelayList(relayUrls(options), options.onRelay)
  const origin = { deviceId }
  const hlc: Hlc = createHlc(deviceId, options.now)
  const ledger = new PendingLedger(deviceId)
  const workspaceListeners = new Listeners()
  const emitWorkspace = () => workspaceListeners.emit()
  const notices = new Notices()
  const undo = new UndoStack()
  let contacts: ContactsHandle | null = null

  // The parts refer to each other only through these closures, which run after all are built.
  const status: SyncStatus = new SyncStatus({
    wantsOnline: () => session.wantsOnline && !rooms.destroyed,
    refreshing: () => session.isRefreshing,
    liveRooms: () => rooms.live(),
    relays: () => relays.urls.length,
    pending: () => ledger.pending,
    unacked: () => ledger.unacked,
    blocking: (e) => rooms.blocking(e),
  })
  const fail = (e: unknown) => status.fail(e)
  const tell = (notice: SyncNotice) => {
    notices.tell(notice)
    status.notify()
  }
  const label = (name: string) => roomLabel(name, rooms.open(roomName.workspace).doc)

  const session: Session = new Session({
    token: options.token,
    refreshToken: options.refreshToken,
    expiresAt: options.expiresAt,
    member: options.member,
    onToken: options.onToken,
    relays,
    deviceId,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    online: options.connect ?? true,
    status,
    hooks: {
      tokenChanged: () => rooms.setParams(session.socketParams()),
      disconnectRooms: () => rooms.disconnectAll(),
      connectRooms: () => rooms.connectAll(),
      memberLearnt: () => {
        inboxes.sync()
        emitWorkspace()
      },
    },
  })

  const assignees = new Assignees(() => rooms.open(roomName.workspace).doc)
  const store = new LedgerStore({ storage, ledger, hlc, closed: () => rooms.destroyed, fail })
  const ctx: RoomContext = {
    storage,
    ledger,
    origin,
    enqueue: (task) => store.enqueue(task),
    clientIdFor: (name, avoid) => store.clientIdFor(name, avoid),
    replayAuthor: () => {
      const member = session.member
      return member && member.role !== 'viewer' ? { memberId: member.id, deviceId } : null
    },
    rebaseAuthor: (name) => {
      const author = ctx.replayAuthor()
      const room = parseRoom(name)
      if (!author || room?.kind !== 'inbox') return author
      return { ...author, assignRefusal: (m) => assignees.refusal(room.id!, m) }
    },
    saveLedger: () => store.save(),
    onStorageError: (e) =>
      fail(
        new SwitchboardError(ErrorCode.Storage, `local replica write failed: ${e}`, { cause: e }),
      ),
    // Nothing removed, nothing to tell: a rebase the relay refuses again is told when it drops.
    onRecovered: (report) =>
      report.dropped.length > 0 && tell(refusedNotice(report, label(report.room))),
  }

  const presence = new Presence(
    deviceId,
    () => session.member,
    () => rooms.all(),
  )
  const rooms: RoomRegistry = new RoomRegistry({
    ctx,
    relays,
    // A lone relay keeps y-websocket's own behaviour: there is nowhere else to go.
    connectTimeoutMs: options.connectTimeoutMs ?? (relays.urls.length > 1 ? 10_000 : 0),
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket,
    session,
    status,
    presence,
    ledger,
    onClose: (name, event) => reactToClose({ deviceId, rooms, session, status, drop }, name, event),
  })
  const drop = (name: string, code: number, reason: string) =>
    dropRoom(
      { rooms, inboxes, ledger, store, label, tell, changed: emitWorkspace, fail },
      name,
      code,
      reason,
    )

  const internals: Internals = {
    deviceId,
    origin,
    undo,
    get ready() {
      return ready
    },
    author() {
      const member = session.member
      if (!member)
        throw new SwitchboardError(ErrorCode.Unauthorized, 'no member: log in before marking')
      if (member.role === 'viewer')
        throw new SwitchboardError(ErrorCode.Forbidden, 'viewers cannot change conversations')
      return { memberId: member.id, deviceId, clock: hlc }
    },
    member: () => session.member,
    members: () => readWorkspace(rooms.open(roomName.workspace).doc).members as Member[],
    assignees,
    implicitly: (write) => ledger.implicitly(write),
    room: (name) => rooms.open(name),
    release: (name) => rooms.release(name),
    get: (path) => session.get(path),
    post: (path, body) => session.post(path, body),
  }
  const inboxes: InboxRegistry = new InboxRegistry({
    internals,
    rooms,
    ledger,
    changed: emitWorkspace,
  })

  const ready = (async () => {
    await store.load()
    // Rooms with unacknowledged changes are opened so they get pushed on the next connect.
    for (const name of ledger.rooms()) rooms.open(name)
    const workspace = rooms.open(roomName.workspace)
    await workspace.loaded
    inboxes.sync()
    // The phone numbers are known now; a big inbox may take seconds more to parse.
    emitWorkspace()
    // Usable offline: the visible inboxes are loaded from storage before whenLoaded resolves.
    await inboxes.whenLoaded()
    workspace.doc.on('update', () => {
      inboxes.sync()
      emitWorkspace()
    })
  })()

  ready.catch((e) => {
    store.loadFailed()
    fail(e)
  })
  ledger.onChange((reason) => {
    if (reason === 'ack') store.scheduleSave()
    status.notify()
  })
  session.start()

  const sb: Switchboard = {
    deviceId,
    get member() {
      return session.member
    },
    get status() {
      return status.compute()
    },
    get pending() {
      return ledger.pending
    },
    get error() {
      return status.error
    },
    get lastSyncedAt() {
      return status.lastSyncedAt
    },
    get relay() {
      return relays.current
    },
    whenLoaded: ready,
    onStatus: (listener) => status.statusListeners.add(listener),
    onError: (listener) => status.errorListeners.add(listener),
    get notices() {
      return notices.list
    },
    onNotice: (listener) => notices.listeners.add(listener),
    phoneNumbers: () => inboxes.phoneNumbers(),
    members: () => internals.members(),
    onWorkspaceChange: (listener) => workspaceListeners.add(listener),
    inbox: (id) => inboxes.get(id),
    contacts() {
      contacts ??= new ContactsHandle(internals)
      return contacts
    },
    openConversation: (id, phoneNumberId) =>
      new ConversationRoomHandle(internals, id, inboxes.get(phoneNumberId)),
    setViewing: (conversationId) => presence.update({ viewing: conversationId }),
    setReplying: (replying) => presence.update({ replying }),
    viewers: (conversationId) => presence.viewers(conversationId),
    onPresence: (listener) => presence.listeners.add(listener),
    whenSynced: () => status.whenSynced(ready),
    async undo() {
      await ready
      const step = undo.take()
      return step ? undoStep(inboxes, step) : false
    },
    async bulk(targets, change) {
      await ready
      return applyBulk(inboxes, undo, targets, change)
    },
    setToken: (token, expiresAt, refreshToken) => session.setToken(token, expiresAt, refreshToken),
    refresh: () => session.refresh(),
    async signOut() {
      session.pause()
      // Our own sockets first, so the relay's 4410 for this session is not taken for a revocation.
      rooms.disconnectAll()
      status.notify()
      return session.logout()
    },
    connect() {
      session.resume()
      rooms.stopped.clear()
      status.error = null
      rooms.connectAll()
      status.notify()
    },
    disconnect() {
      session.pause()
      rooms.disconnectAll()
      status.notify()
    },
    flush: () => store.flushed(),
    async destroy() {
      if (rooms.destroyed) return
      session.close()
      await ready.catch(() => {})
      await rooms.destroyAll()
      await store.flushed()
      rooms.clear()
      await storage.close()
      status.notify()
    },
  }
  return sb
}
