import {
  conversationIds,
  epochOf,
  getConversation,
  history,
  ingestActivity,
  markConversation,
  pinConversation,
  replayIntoEpoch,
  type HistoryEntry,
} from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, encodeSyncStep1 } from '@switchboard/protocol'
import {
  author,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  trackAcks,
  until,
  type Client,
  type TestRelay,
} from './test-helpers.ts'

let relays: TestRelay[] = []
let clients: Client[] = []
afterEach(async () => {
  for (const c of clients) c.destroy()
  clients = []
  for (const r of relays) await r.close()
  relays = []
})

async function setup(options: Parameters<typeof startTestRelay>[0] = {}) {
  const relay = await startTestRelay({ roomIdleMs: 50, ...options })
  relays.push(relay)
  const token = await relay.login('alice@example.com')
  for (let i = 0; i < 5; i++)
    expect((await relay.webhook(incoming(`c-e-${i}`, 'pn-a'))).status).toBe(202)
  return { relay, token }
}

function connect(relay: TestRelay, token: string, params: Record<string, string> = {}) {
  const c = connectProvider(relay.wsUrl, 'inbox:pn-a', token, { ack: '1', ...params })
  clients.push(c)
  return c
}

const states = (doc: Y.Doc) =>
  Object.fromEntries(conversationIds(doc).map((id) => [id, getConversation(doc, id)]))

/** The client side of adoption [E3], as packages/client does it: fresh doc, sync, replay. */
async function adopt(relay: TestRelay, token: string, old: Y.Doc, who: ReturnType<typeof author>) {
  const next = connect(relay, token)
  const acks = trackAcks(next)
  await next.synced
  replayIntoEpoch(old, next.doc, who, 'replay')
  await acks.acked()
  return next
}

describe('[E2–E4] epochs on the relay', () => {
  it('[E3] a replica offline across two epoch changes with unsynced marks reconnects and nothing is lost', async () => {
    const { relay, token } = await setup()
    const bob = author('alice', 'dev-laptop')
    const other = author('alice', 'dev-phone')
    const laptop = connect(relay, token)
    const laptopAcks = trackAcks(laptop)
    await laptop.synced
    for (let i = 0; i < 40; i++) markConversation(laptop.doc, `c-e-${i % 5}`, 'read', bob)
    await laptopAcks.acked()
    // The laptop goes offline and marks; its socket stays shut through two epochs.
    laptop.provider.disconnect()
    markConversation(laptop.doc, 'c-e-1', 'done', bob)
    pinConversation(laptop.doc, 'c-e-2', bob)

    const phone = connect(relay, token)
    const phoneAcks = trackAcks(phone)
    await phone.synced
    for (let i = 0; i < 30; i++)
      markConversation(phone.doc, 'c-e-3', i % 2 ? 'done' : 'open', other)
    await phoneAcks.acked()
    const first = await relay.relay.startEpoch('inbox:pn-a')
    expect(first.bytesAfter).toBeLessThan(first.bytesBefore)
    await until(() => phone.closes.some((c) => c.code === CloseCode.EpochChanged), 'phone told')
    phone.provider.disconnect()
    const phone2 = await adopt(relay, token, phone.doc, other)
    markConversation(phone2.doc, 'c-e-4', 'done', other)
    expect((await relay.webhook(incoming('c-e-1', 'pn-a'))).status).toBe(202)
    const second = await relay.relay.startEpoch('inbox:pn-a')
    expect(second.previous).toBe(first.epoch)

    // The laptop comes back holding epoch zero: the relay refuses its old state [E4] ...
    laptop.provider.connect()
    await until(() => laptop.closes.some((c) => c.code === CloseCode.EpochChanged), 'laptop told')
    laptop.provider.disconnect()
    // ... and it adopts the newest epoch, replaying what it made offline.
    const laptop2 = await adopt(relay, token, laptop.doc, bob)
    expect(epochOf(laptop2.doc).id).toBe(second.epoch)

    const check = connect(relay, token)
    await check.synced
    await until(() => getConversation(check.doc, 'c-e-2')?.pinned === true, 'pin replayed')
    expect(getConversation(check.doc, 'c-e-4')?.status).toBe('done')
    // The laptop's Done on c-e-1 predates an SMS it never saw: Open + Unread (P3 across epochs).
    expect(getConversation(check.doc, 'c-e-1')).toMatchObject({
      status: 'open',
      unread: true,
      statusBy: { deviceId: 'dev-laptop', kind: 'done' },
    })
    const laptopLines = history(check.doc, 'c-e-1').filter((e) => e.deviceId === 'dev-laptop')
    expect(laptopLines.at(-1)?.kind).toBe('done')
    expect(states(laptop2.doc)).toEqual(states(check.doc))
  })

  it('[E4] an unmodified y-websocket client holding an older epoch is refused with 4409 and corrupts nothing', async () => {
    const { relay, token } = await setup()
    const old = connect(relay, token, { ack: '0' })
    await old.synced
    const before = await relay.relay.startEpoch('inbox:pn-a')
    await until(() => old.closes.some((c) => c.code === CloseCode.EpochChanged), '4409')
    // y-websocket treats 44xx as final and stops; a write it makes stays local. Told to
    // connect again, it is refused again, whatever it holds.
    markConversation(old.doc, 'c-e-0', 'done', author('alice', 'dev-old'))
    old.provider.connect()
    await until(() => old.closes.filter((c) => c.code === CloseCode.EpochChanged).length >= 2, '2x')
    old.provider.disconnect()
    const fresh = connect(relay, token)
    await fresh.synced
    expect(epochOf(fresh.doc).id).toBe(before.epoch)
    expect(getConversation(fresh.doc, 'c-e-0')?.status).toBe('open')
    // Restart: the stored room loads and is complete (no pending structs from an old epoch).
    const stored = await relay.relay.storage.loadRoom('inbox:pn-a')
    const doc = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
    for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    expect(doc.store.pendingStructs).toBeNull()
    expect(conversationIds(doc).sort()).toEqual(['c-e-0', 'c-e-1', 'c-e-2', 'c-e-3', 'c-e-4'])
  })

  it('[E4] a raw socket sending a state vector of an older epoch is closed with 4409', async () => {
    const { relay, token } = await setup()
    const old = connect(relay, token)
    await old.synced
    await relay.relay.startEpoch('inbox:pn-a')
    const s = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${token}`)
    await s.opened
    s.ws.send(encodeSyncStep1(Y.encodeStateVector(old.doc)))
    expect((await s.closed).code).toBe(CloseCode.EpochChanged)
  })

  it('[E5] history past the horizon moves to the archive and is served to members with access', async () => {
    const { relay, token } = await setup({ historyHorizonMs: 0 })
    const c = connect(relay, token)
    const acks = trackAcks(c)
    await c.synced
    const who = author('alice', 'dev-h')
    for (let i = 0; i < 6; i++) markConversation(c.doc, 'c-e-0', i % 2 ? 'done' : 'open', who)
    await acks.acked()
    await new Promise((r) => setTimeout(r, 5))
    const report = await relay.relay.startEpoch('inbox:pn-a')
    expect(report.archived).toBe(6)
    const get = (tok: string, query = '') =>
      fetch(`${relay.url}/api/history/pn-a${query}`, {
        headers: { authorization: `Bearer ${tok}` },
      })
    const res = await get(token, '?conversationId=c-e-0')
    expect(res.status).toBe(200)
    const { entries } = (await res.json()) as { entries: HistoryEntry[] }
    expect(entries.map((e) => e.kind)).toEqual(['open', 'done', 'open', 'done', 'open', 'done'])
    expect(entries.every((e) => e.deviceId === 'dev-h')).toBe(true)
    const erin = await relay.login('erin@example.com')
    expect((await get(erin)).status).toBe(403)
    expect((await fetch(`${relay.url}/api/history/pn-a`)).status).toBe(401)
  })

  it('an admin starts an epoch through the API; a member cannot', async () => {
    const { relay, token } = await setup()
    const post = (tok: string, room = 'inbox:pn-a') =>
      fetch(`${relay.url}/api/admin/rooms/${encodeURIComponent(room)}/epoch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}` },
      })
    const res = await post(token)
    expect(res.status).toBe(200)
    const report = (await res.json()) as { epoch: string; previous: string | null }
    expect(report.previous).toBeNull()
    expect((await post(token, 'workspace')).status).toBe(400)
    expect((await post(await relay.login('carol@example.com'))).status).toBe(403)
    const c = connect(relay, token)
    await c.synced
    expect(epochOf(c.doc).id).toBe(report.epoch)
  })

  it('a room loaded with more than `epochOnLoad.items` structs starts an epoch before its first joiner is served', async () => {
    const { relay, token } = await setup({ epochOnLoad: { items: 60, writers: 0 } })
    await until(() => relay.relay.loadedRooms().length === 0, 'the room unloads')
    // The stored room grew while no relay had it loaded (as across a restart): 35 more conversations.
    const { storage } = relay.relay
    const stored = await storage.loadRoom('inbox:pn-a')
    const grown = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(grown, stored.snapshot)
    for (const u of stored.updates) Y.applyUpdate(grown, u.data)
    const before = Y.encodeStateVector(grown)
    for (let i = 5; i < 40; i++) ingestActivity(grown, incoming(`c-e-${i}`, 'pn-a'))
    await storage.appendUpdate('inbox:pn-a', Y.encodeStateAsUpdate(grown, before))
    // An unmodified y-websocket client joining the outgrown room is served the epoch, never 4409.
    const plain = connect(relay, token, { ack: '0' })
    await plain.synced
    const first = epochOf(plain.doc).id
    expect(first).not.toBeNull()
    expect(conversationIds(plain.doc)).toHaveLength(40)
    expect(plain.closes).toEqual([])
    expect(plain.doc.store.clients.size).toBe(1)
    plain.provider.disconnect()
    // Loaded again, it is small: no second epoch.
    await until(() => relay.relay.loadedRooms().length === 0, 'the room unloads again')
    const again = connect(relay, token, { ack: '0' })
    await again.synced
    expect(epochOf(again.doc).id).toBe(first)
  })

  it('a room that outgrew `epochOnLoad.items` while loaded starts an epoch once it goes idle, with nobody connected', async () => {
    const { relay, token } = await setup({ epochOnLoad: { items: 60, writers: 0 } })
    const watcher = connect(relay, token, { ack: '0' })
    await watcher.synced
    for (let i = 5; i < 40; i++)
      expect((await relay.webhook(incoming(`c-e-${i}`, 'pn-a'))).status).toBe(202)
    // Connected, it is left alone: an epoch would close the watcher's socket.
    await new Promise((r) => setTimeout(r, 200))
    expect(watcher.closes).toEqual([])
    expect((await relay.relay.storage.loadRoom('inbox:pn-a')).epoch).toBeUndefined()
    watcher.provider.disconnect()
    await until(() => relay.relay.loadedRooms().length === 0, 'the idle room unloads')
    const stored = await relay.relay.storage.loadRoom('inbox:pn-a')
    expect(stored.epoch?.id).toBeDefined()
    const fresh = connect(relay, token, { ack: '0' })
    await fresh.synced
    expect(epochOf(fresh.doc).id).toBe(stored.epoch!.id)
    expect(conversationIds(fresh.doc)).toHaveLength(40)
  })

  it('a room with `epochOnLoad.writers` writer ids starts an epoch once nobody is connected; a warm replica adopts it', async () => {
    const { relay, token } = await setup({ epochOnLoad: { items: 0, writers: 3 } })
    const laptop = connect(relay, token)
    const laptopAcks = trackAcks(laptop)
    await laptop.synced
    const who = author('alice', 'dev-writers')
    markConversation(laptop.doc, 'c-e-1', 'done', who)
    await laptopAcks.acked()
    const phone = connect(relay, token)
    const phoneAcks = trackAcks(phone)
    await phone.synced
    markConversation(phone.doc, 'c-e-2', 'done', author('alice', 'dev-writers-2'))
    await phoneAcks.acked()
    const expected = states(phone.doc)
    laptop.provider.disconnect()
    phone.provider.disconnect()
    await until(() => relay.relay.loadedRooms().length === 0, 'the room unloads')
    // The laptop comes back with the old epoch: it is told to adopt, and adopting loses nothing.
    laptop.provider.connect()
    await until(() => laptop.closes.some((c) => c.code === CloseCode.EpochChanged), '4409')
    laptop.provider.disconnect()
    const next = await adopt(relay, token, laptop.doc, who)
    expect(epochOf(next.doc).id).not.toBeNull()
    expect(states(next.doc)).toEqual(expected)
  })

  it('a room starts an epoch by itself once it stored `epochEvery` batches', async () => {
    const { relay, token } = await setup({ epochEvery: 20 })
    const c = connect(relay, token)
    const acks = trackAcks(c)
    await c.synced
    const who = author('alice', 'dev-auto')
    const told = () => c.closes.some((x) => x.code === CloseCode.EpochChanged)
    for (let i = 0; i < 25 && !told(); i++) {
      markConversation(c.doc, 'c-e-0', i % 2 ? 'done' : 'open', who)
      const target = Y.getState(c.doc.store, c.doc.clientID)
      await until(() => acks.clock() >= target || told(), `ack ${i}`)
    }
    await until(told, 'auto epoch')
    c.provider.disconnect()
    const fresh = connect(relay, token)
    await fresh.synced
    expect(epochOf(fresh.doc).id).not.toBeNull()
  })
})
