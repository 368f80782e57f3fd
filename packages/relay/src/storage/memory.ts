/** @module An in-memory RelayStorage for tests and throwaway relays. */
import type {
  ArchivedEntry,
  MemberRecord,
  RoomEpoch,
  PhoneNumberRecord,
  ProviderCallRecord,
  RelayStorage,
  SessionRecord,
  StoredRoom,
  StoredUpdate,
} from './relay-storage.ts'
import { StorageError } from './relay-storage.ts'
import { createMemoryOutbox } from './memory-outbox.ts'
import { createMemoryInvites } from './memory-invites.ts'
import { createMemoryRules } from './memory-rules.ts'

interface MemoryRoom {
  snapshot: Uint8Array | null
  updates: StoredUpdate[]
  epoch?: RoomEpoch
  archive: Map<string, ArchivedEntry>
  /** Test hook: pretend the stored bytes are damaged. */
  corrupt: boolean
}

export interface MemoryStorage extends RelayStorage {
  /** Test hook: make a room's stored state unreadable. */
  corruptRoom(room: string): void
}

export function createMemoryStorage(): MemoryStorage {
  const rooms = new Map<string, MemoryRoom>()
  const members = new Map<string, MemberRecord>()
  const phoneNumbers = new Map<string, PhoneNumberRecord>()
  const sealedCredentials = new Map<string, string>()
  const access = new Map<string, Set<string>>()
  const conversations = new Map<string, string>()
  const activities = new Set<string>()
  const providerCalls = new Map<string, ProviderCallRecord>()
  const meta = new Map<string, string>()
  const clientOwners = new Map<string, string>()
  const deviceOwners = new Map<string, string>()
  const sessions = new Map<string, SessionRecord>()
  let nextId = 1
  let closed = false

  const open = () => {
    if (closed) throw new StorageError('closed', 'storage is closed')
  }
  const room = (name: string): MemoryRoom => {
    let r = rooms.get(name)
    if (!r)
      rooms.set(name, (r = { snapshot: null, updates: [], corrupt: false, archive: new Map() }))
    return r
  }

  let phoneNumbersRevision = 0
  return {
    async appendUpdate(name, update) {
      open()
      const id = nextId++
      room(name).updates.push({ id, data: update.slice() })
      return id
    },
    async loadRoom(name) {
      open()
      const r = rooms.get(name)
      if (!r) return { snapshot: null, updates: [] } satisfies StoredRoom
      if (r.corrupt) throw new StorageError('unreadable', `room ${name}: stored state is damaged`)
      const stored: StoredRoom = { snapshot: r.snapshot, updates: r.updates.slice() }
      if (r.epoch) stored.epoch = { id: r.epoch.id, retired: r.epoch.retired.slice() }
      return stored
    },
    async compact(name, snapshot, upToId) {
      open()
      const r = room(name)
      r.snapshot = snapshot.slice()
      r.updates = r.updates.filter((u) => u.id > upToId)
    },
    async startEpoch(name, epoch) {
      open()
      const r = room(name)
      r.snapshot = epoch.snapshot.slice()
      r.updates = r.updates.filter((u) => u.id > epoch.upToId)
      r.epoch = { id: epoch.id, retired: epoch.retired.slice() }
      for (const e of epoch.archive) if (!r.archive.has(e.key)) r.archive.set(e.key, { ...e })
    },
    async archive(name, entries) {
      open()
      const r = room(name)
      for (const e of entries) if (!r.archive.has(e.key)) r.archive.set(e.key, { ...e })
    },
    async readArchive(name, conversationId) {
      open()
      const all = [...(rooms.get(name)?.archive.values() ?? [])]
      return (
        conversationId === undefined ? all : all.filter((e) => e.conversationId === conversationId)
      ).map((e) => ({ ...e }))
    },
    async logSize(name) {
      const r = rooms.get(name)
      return {
        count: r?.updates.length ?? 0,
        bytes: r?.updates.reduce((n, u) => n + u.data.byteLength, 0) ?? 0,
      }
    },
    async listRooms() {
      return [...rooms.keys()].sort()
    },
    getMember: (id) => members.get(id) ?? null,
    getMemberByEmail: (email) =>
      [...members.values()].find((m) => m.email === email.toLowerCase()) ?? null,
    listMembers: () => [...members.values()].sort((a, b) => a.createdAt - b.createdAt),
    putMember(m) {
      open()
      members.set(m.id, { ...m, email: m.email.toLowerCase() })
    },
    putSession(session) {
      open()
      sessions.set(session.id, { ...session })
    },
    getSession(id) {
      const s = sessions.get(id)
      return s ? { ...s } : null
    },
    listSessions: (memberId) =>
      [...sessions.values()]
        .filter((s) => s.memberId === memberId)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((s) => ({ ...s })),
    rotateSession(id, fromGen, at) {
      open()
      const s = sessions.get(id)
      if (!s || s.endedAt !== undefined || s.refreshGen !== fromGen) return false
      s.refreshGen = fromGen + 1
      s.refreshedAt = at
      return true
    },
    endSession(id, at, reason) {
      open()
      const s = sessions.get(id)
      if (!s || s.endedAt !== undefined) return false
      s.endedAt = at
      s.endReason = reason
      return true
    },
    endSessions(memberId, at, reason) {
      open()
      const ended: string[] = []
      for (const s of sessions.values())
        if (s.memberId === memberId && s.endedAt === undefined) {
          s.endedAt = at
          s.endReason = reason
          ended.push(s.id)
        }
      return ended
    },
    pruneSessions(before) {
      open()
      let n = 0
      for (const [id, s] of sessions)
        if ((s.endedAt ?? s.expiresAt) < before || s.expiresAt < before) {
          sessions.delete(id)
          n++
        }
      return n
    },
    getPhoneNumber(id) {
      const pn = phoneNumbers.get(id)
      return pn ? { ...pn } : null
    },
    listPhoneNumbers: () => [...phoneNumbers.values()].map((pn) => ({ ...pn })),
    putPhoneNumber(pn) {
      open()
      phoneNumbersRevision++
      const { provider, ...rest } = pn
      phoneNumbers.set(pn.id, provider ? { ...rest, provider } : rest)
    },
    getSealedCredentials: (id) => sealedCredentials.get(id) ?? null,
    putSealedCredentials(id, sealed) {
      open()
      phoneNumbersRevision++
      sealedCredentials.set(id, sealed)
    },
    removePhoneNumber(id) {
      open()
      phoneNumbersRevision++
      phoneNumbers.delete(id)
      sealedCredentials.delete(id)
      const had: string[] = []
      for (const [memberId, s] of access) if (s.delete(id)) had.push(memberId)
      return had.sort()
    },
    phoneNumbersRevision: () => phoneNumbersRevision,
    grantAccess(memberId, phoneNumberId) {
      open()
      let s = access.get(memberId)
      if (!s) access.set(memberId, (s = new Set()))
      s.add(phoneNumberId)
    },
    revokeAccess(memberId, phoneNumberId) {
      open()
      access.get(memberId)?.delete(phoneNumberId)
    },
    listAccess: (memberId) => [...(access.get(memberId) ?? [])].sort(),
    getConversationPhoneNumber: (id) => conversations.get(id) ?? null,
    setConversationPhoneNumber(id, pn) {
      open()
      if (!conversations.has(id)) conversations.set(id, pn)
    },
    recordActivity(id) {
      open()
      if (activities.has(id)) return false
      activities.add(id)
      return true
    },
    hasActivity: (id) => activities.has(id),
    getProviderCall(callKey) {
      const call = providerCalls.get(callKey)
      return call ? { ...call } : null
    },
    putProviderCall(call) {
      open()
      if (!providerCalls.has(call.callKey)) providerCalls.set(call.callKey, { ...call })
    },
    transaction: (fn) => fn(),
    whenDurable: () => Promise.resolve(),
    async durably(fn) {
      return fn()
    },
    getClientOwner: (room, client) => clientOwners.get(`${room}\u241f${client}`) ?? null,
    bindClient(room, client, memberId) {
      open()
      const key = `${room}\u241f${client}`
      if (clientOwners.has(key)) return false
      clientOwners.set(key, memberId)
      return true
    },
    getDeviceOwner: (deviceId) => deviceOwners.get(deviceId) ?? null,
    bindDevice(deviceId, memberId) {
      open()
      if (deviceOwners.has(deviceId)) return false
      deviceOwners.set(deviceId, memberId)
      return true
    },
    getMeta: (key) => meta.get(key) ?? null,
    setMeta(key, value) {
      open()
      meta.set(key, value)
    },
    ...createMemoryOutbox(open),
    ...createMemoryInvites(open),
    ...createMemoryRules(open),
    check: open,
    async close() {
      closed = true
    },
    corruptRoom(name) {
      room(name).corrupt = true
    },
  }
}
