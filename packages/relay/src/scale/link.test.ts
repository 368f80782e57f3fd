/**
 * The relay link (docs/scale-out.md "The relay link"): two relays, each on its own SQLite store
 * seeded alike under one secret; the edge routes `inbox:pn-a` to the owner. Clients of the edge
 * are unmodified y-websocket providers and raw sockets.
 */
import { getConversation, markConversation } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createSqliteStorage } from '../storage/sqlite.ts'
import {
  SECRET,
  author,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  trackAcks,
  until,
  type Client,
  type TestRelay,
} from '../test-helpers.ts'
import { spawnRelayProcess, type RelayProcess } from '../testing/index.ts'
import { LINK_PATH, deriveLinkKey, signLinkHeaders } from './link-auth.ts'
import {
  LinkKind,
  decodeClose,
  decodeFanout,
  decodeLinkFrame,
  encodeLinkFrame,
  encodeOpen,
  type LinkFrame,
  type StreamOpen,
} from './link-frame.ts'

const ROOM = 'inbox:pn-a'
const sqlite = () =>
  createSqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'relay-link-')), 'relay.db') })

let owner: TestRelay
let edge: TestRelay
const clients: Client[] = []
beforeAll(async () => {
  owner = await startTestRelay({ storage: sqlite(), relayId: 'owner' })
  edge = await startTestRelay({
    storage: sqlite(),
    relayId: 'edge',
    routeRoom: async (room) => (room === ROOM ? { relayId: 'owner', url: owner.url } : 'self'),
  })
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await edge.close()
  await owner.close()
})

async function client(on: TestRelay, room: string, who: string, params = {}): Promise<Client> {
  const c = connectProvider(on.wsUrl, room, await on.login(`${who}@example.com`), params)
  clients.push(c)
  return c
}

/** Sockets the owner serves (proxied streams included) and the edge's links. */
const ownerSockets = () => owner.relay.connectionCount()

describe('[scale link] a room owned by another relay, through the edge', () => {
  it('[L7] an unmodified provider on the edge syncs the owner’s room, sees a direct client’s marks live and is acked', async () => {
    expect((await owner.webhook(incoming('c-link-1', 'pn-a'))).status).toBe(202)
    const viaEdge = await client(edge, ROOM, 'alice', { ack: '1' })
    const acks = trackAcks(viaEdge)
    const direct = await client(owner, ROOM, 'carol')
    const alsoViaEdge = await client(edge, ROOM, 'vic') // a fan-out names both edge streams
    await Promise.all([viaEdge.synced, direct.synced, alsoViaEdge.synced])
    expect(getConversation(viaEdge.doc, 'c-link-1')?.unread).toBe(true)

    markConversation(direct.doc, 'c-link-1', 'done', author('carol'))
    await until(() => getConversation(viaEdge.doc, 'c-link-1')?.status === 'done', 'edge sees Done')
    await until(() => getConversation(alsoViaEdge.doc, 'c-link-1')?.status === 'done', 'both do')
    markConversation(viaEdge.doc, 'c-link-1', 'unread', author('alice'))
    await acks.acked()
    await until(() => getConversation(direct.doc, 'c-link-1')?.unread === true, 'owner sees Unread')
    expect(getConversation(viaEdge.doc, 'c-link-1')).toEqual(
      getConversation(direct.doc, 'c-link-1'),
    )

    // The owner alone holds and stores the room: the edge only proxied it.
    expect(owner.relay.loadedRooms()).toContain(ROOM)
    expect(edge.relay.loadedRooms()).not.toContain(ROOM)
    expect((await edge.relay.storage.loadRoom(ROOM)).updates).toEqual([])
  })

  it('[L7] a room the edge owns itself is served there, as before', async () => {
    const c = await client(edge, 'inbox:pn-b', 'erin')
    await c.synced
    expect(edge.relay.loadedRooms()).toContain('inbox:pn-b')
    expect(owner.relay.loadedRooms()).not.toContain('inbox:pn-b')
  })

  it('[L7] a member without access is refused at the edge with 4403; nothing reaches the owner', async () => {
    const before = ownerSockets()
    const s = rawSocket(`${edge.wsUrl}/${ROOM}?token=${await edge.login('erin@example.com')}`)
    expect((await s.closed).code).toBe(CloseCode.Forbidden)
    const bad = rawSocket(`${edge.wsUrl}/${ROOM}?token=forged`)
    expect((await bad.closed).code).toBe(CloseCode.Unauthorized)
    expect(ownerSockets()).toBe(before)
  })

  it('[L7] the owner refuses a stream its own directory denies, whatever the edge granted (4403, same reason)', async () => {
    // vic's access to pn-a is revoked on the owner only: the edge still grants it.
    await owner.relay.admin.revoke('vic', 'pn-a')
    const s = rawSocket(`${edge.wsUrl}/${ROOM}?token=${await edge.login('vic@example.com')}`)
    const closed = await s.closed
    expect(closed).toEqual({ code: CloseCode.Forbidden, reason: 'no access to this room' })
  })

  it('[L7] the owner closing a stream reaches the edge’s client with the same code and reason', async () => {
    const s = rawSocket(`${edge.wsUrl}/${ROOM}?token=${await edge.login('carol@example.com')}`)
    await s.opened
    await s.next(() => true) // the owner's sync step 1, through the link
    await owner.relay.admin.revoke('carol', 'pn-a')
    expect(await s.closed).toEqual({ code: CloseCode.Forbidden, reason: 'access revoked' })
    await owner.relay.admin.grant('carol', 'pn-a')
  })

  it('[L7] signing out at the edge closes the proxied socket with 4410 and ends its stream at the owner', async () => {
    const token = await edge.login('carol@example.com')
    const before = ownerSockets()
    const s = rawSocket(`${edge.wsUrl}/${ROOM}?token=${token}`)
    await s.opened
    await s.next(() => true)
    expect(ownerSockets()).toBe(before + 1)
    const res = await fetch(`${edge.url}/api/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    expect(await s.closed).toEqual({ code: CloseCode.SessionEnded, reason: 'signed out' })
    await until(() => ownerSockets() === before, 'the owner’s Connection left')
  })

  it('[L7] a link upgrade with a forged, stale or replayed signature, or from a browser, is refused before upgrading; nothing opens', async () => {
    const url = `${owner.wsUrl.replace('/sync', '')}${LINK_PATH}`
    const before = ownerSockets()
    const refused = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers })
        ws.on('error', () => {})
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        ws.on('open', () => {
          ws.close()
          resolve(101)
        })
      })
    const forgedKey = deriveLinkKey('another-secret-0123456789abcdef')
    expect(await refused(signLinkHeaders(forgedKey, 'edge', Date.now()))).toBe(401)
    expect(await refused({})).toBe(401)
    const key = deriveLinkKey(SECRET)
    expect(await refused(signLinkHeaders(key, 'edge', Date.now() - 120_000))).toBe(401)
    const good = signLinkHeaders(key, 'edge', Date.now())
    expect(await refused({ ...good, origin: owner.url })).toBe(403)
    expect(await refused(good)).toBe(101)
    expect(await refused(good)).toBe(401) // the same signature again: a replay
    expect(ownerSockets()).toBe(before)
  })
})

/** A link to `to` signed as relay `edge` would sign it, frames recorded. */
async function linkTo(to: TestRelay) {
  const ws = new WebSocket(`${to.wsUrl.replace('/sync', '')}${LINK_PATH}`, {
    headers: signLinkHeaders(deriveLinkKey(SECRET), 'edge', Date.now()),
  })
  const frames: LinkFrame[] = []
  ws.on('message', (data: Buffer) => frames.push(decodeLinkFrame(new Uint8Array(data))!))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const open = (stream: number, o: Partial<StreamOpen> = {}) =>
    ws.send(
      encodeOpen(stream, {
        room: ROOM,
        memberId: 'alice',
        sessionId: 's-x',
        exp: 2e9,
        wantsAcks: false,
        ...o,
      }),
    )
  const closeOf = async (stream: number) => {
    await until(() => frames.some((f) => f.stream === stream && f.kind === LinkKind.Close), 'close')
    return decodeClose(
      frames.find((f) => f.stream === stream && f.kind === LinkKind.Close)!.payload,
    )
  }
  return { ws, frames, open, closeOf }
}

describe('[scale link] the owner judges every stream by its own directory', () => {
  it('[L7] refuses a member without access, an unknown member, a malformed open and another member’s device', async () => {
    const link = await linkTo(owner)
    const before = ownerSockets()
    link.open(1, { memberId: 'erin' })
    expect(await link.closeOf(1)).toEqual({
      code: CloseCode.Forbidden,
      reason: 'no access to this room',
    })
    link.open(2, { memberId: 'mallory' })
    expect((await link.closeOf(2)).code).toBe(CloseCode.SessionEnded)
    link.ws.send(encodeLinkFrame(LinkKind.Open, 3, new TextEncoder().encode('{"room":1}')))
    expect((await link.closeOf(3)).code).toBe(CloseCode.Malformed)
    link.open(6, { exp: Math.floor(Date.now() / 1000) - 1 })
    expect(await link.closeOf(6)).toEqual({ code: CloseCode.Unauthorized, reason: 'token expired' })
    link.open(4, { room: 'inbox:nope' })
    expect((await link.closeOf(4)).code).toBe(CloseCode.Forbidden)
    const carol = await client(owner, ROOM, 'carol', { device: 'dev-carol-link' })
    await carol.synced
    carol.destroy()
    link.open(5, { device: 'dev-carol-link' })
    expect((await link.closeOf(5)).code).toBe(CloseCode.DeviceTaken)
    await until(() => ownerSockets() === before, 'carol gone')
    expect(ownerSockets()).toBe(before)
    link.ws.close()
  })

  it('[L7] holds each stream’s frames to the socket caps, and one stream’s refusal leaves the link and its other streams open', async () => {
    const link = await linkTo(owner)
    link.open(1)
    link.open(2)
    await until(() => link.frames.filter((f) => f.kind === LinkKind.Data).length >= 2, 'step 1s')
    const tooBig = new Uint8Array(owner.relay.maxFrameBytes + 10)
    tooBig[0] = 0 // sync
    tooBig[1] = 2 // update
    link.ws.send(encodeLinkFrame(LinkKind.Data, 1, tooBig))
    expect((await link.closeOf(1)).code).toBe(CloseCode.TooLarge)
    expect(link.ws.readyState).toBe(WebSocket.OPEN)
    expect(link.frames.some((f) => f.stream === 2 && f.kind === LinkKind.Close)).toBe(false)
    // The edge ends stream 2: the owner's Connection leaves.
    const before = ownerSockets()
    link.ws.send(encodeLinkFrame(LinkKind.Close, 2, new Uint8Array([3, 232])))
    await until(() => ownerSockets() === before - 1, 'stream 2 ended at the owner')
    link.ws.close()
  })
})

describe('[scale link] fan-out', () => {
  it('[L7] the owner sends a broadcast once per link, naming the link’s streams, not once per stream', async () => {
    expect((await owner.webhook(incoming('c-link-fan', 'pn-a'))).status).toBe(202)
    const link = await linkTo(owner)
    link.open(1)
    link.open(2, { memberId: 'carol' })
    await until(() => link.frames.filter((f) => f.kind === LinkKind.Data).length >= 2, 'step 1s')
    const writer = await client(owner, ROOM, 'alice')
    await writer.synced
    const seen = link.frames.length
    markConversation(writer.doc, 'c-link-fan', 'done', author('alice', 'dev-fan'))
    await until(() => link.frames.slice(seen).some((f) => f.kind === LinkKind.Fanout), 'fan-out')
    const fanout = decodeFanout(
      link.frames.slice(seen).find((f) => f.kind === LinkKind.Fanout)!.payload,
    )!
    expect(fanout.streams.sort()).toEqual([1, 2])
    expect(link.frames.slice(seen).filter((f) => f.kind === LinkKind.Data)).toEqual([])
    link.ws.close()
  })
})

describe('[scale link] the owner shuts down', () => {
  it('[L7] its 1001 reaches the edge’s clients as 1001', async () => {
    const second = await startTestRelay({ storage: sqlite(), relayId: 'owner-2' })
    const front = await startTestRelay({
      storage: sqlite(),
      relayId: 'edge-2',
      routeRoom: async (room) => (room === ROOM ? { relayId: 'owner-2', url: second.url } : 'self'),
    })
    const s = rawSocket(`${front.wsUrl}/${ROOM}?token=${await front.login('alice@example.com')}`)
    await s.opened
    await s.next(() => true)
    await second.close()
    expect(await s.closed).toEqual({ code: CloseCode.GoingAway, reason: 'relay shutting down' })
    await front.close()
  })
})

describe('[scale link] the owner dies', () => {
  let child: RelayProcess
  let pair: TestRelay
  afterAll(async () => {
    child?.child.kill('SIGKILL')
    await pair?.close()
  })

  it('[L7] the edge closes every proxied socket with 1012 (retried), and providers reconnect', async () => {
    child = await spawnRelayProcess(
      { DATA_DIR: mkdtempSync(join(tmpdir(), 'relay-link-owner-')) },
      { script: fileURLToPath(new URL('./link-owner.fixture.ts', import.meta.url)) },
    )
    pair = await startTestRelay({
      storage: sqlite(),
      relayId: 'edge',
      routeRoom: async (room) => (room === ROOM ? { relayId: 'owner', url: child.url } : 'self'),
    })
    const token = await pair.login('alice@example.com')
    const raw = rawSocket(`${pair.wsUrl}/${ROOM}?token=${token}`)
    await raw.opened
    await raw.next(() => true)
    const provider = connectProvider(pair.wsUrl, ROOM, token)
    clients.push(provider)
    await provider.synced
    child.child.kill('SIGKILL')
    await child.exited
    expect((await raw.closed).code).toBe(CloseCode.Reloading)
    await until(() => provider.closes.some((c) => c.code === CloseCode.Reloading), '1012')
    expect(provider.provider.shouldConnect).toBe(true)
  }, 60_000)
})
