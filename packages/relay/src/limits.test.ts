import { markConversation } from '@switchboard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import * as Y from 'yjs'
import {
  CloseCode,
  decodeAwareness,
  decodeMessage,
  encodeAwareness,
  encodeAwarenessEntries,
  encodeUpdate,
  MessageType,
} from '@switchboard/protocol'
import { createMemoryStorage, type MemoryStorage } from './storage/memory.ts'
import {
  author,
  incoming,
  rawSocket,
  startTestRelay,
  until,
  type RawSocket,
  type TestRelay,
} from './test-helpers.ts'

let relay: TestRelay
let storage: MemoryStorage
let tokens: Record<string, string>
const FRAME_CAP = 64 * 1024
const SYNC_CAP = 4 * FRAME_CAP
const SOCKET_CAP = 6
const PRESENCE_CAP = 2048
const PRESENCE_RATE = 5

beforeAll(async () => {
  storage = createMemoryStorage()
  relay = await startTestRelay({
    storage,
    maxFrameBytes: FRAME_CAP,
    maxSyncFrameBytes: SYNC_CAP,
    maxSocketsPerMember: SOCKET_CAP,
    maxPresenceBytes: PRESENCE_CAP,
    presenceUpdatesPerSecond: PRESENCE_RATE,
  })
  tokens = Object.fromEntries(
    await Promise.all(
      ['alice', 'carol', 'vic'].map(async (m) => [m, await relay.login(`${m}@example.com`)]),
    ),
  )
  expect((await relay.webhook(incoming('c-l-1', 'pn-a'))).status).toBe(202)
  expect((await relay.webhook(incoming('c-l-2', 'pn-a'))).status).toBe(202)
})
afterAll(() => relay.close())

const url = (who: string, room = 'inbox:pn-a', params = '') =>
  `${relay.wsUrl}/${room}?token=${tokens[who]}${params}`

const open = async (who: string, room = 'inbox:pn-a', params = '') => {
  const s = rawSocket(url(who, room, params))
  await s.opened
  await s.next(() => true) // the relay's sync step 1
  return s
}

/** The update a mark of `deviceId` by `memberId` makes on a copy of the room's document. */
const markUpdate = (memberId: string, deviceId: string, conversation = 'c-l-1') => {
  const doc = new Y.Doc()
  markConversation(doc, conversation, 'done', author(memberId, deviceId))
  return Y.encodeStateAsUpdate(doc)
}

/** Sends `update` on `s`; the close code, or null once the relay acknowledged it (ack=1). */
async function write(s: RawSocket, update: Uint8Array): Promise<number | null> {
  const acked = s.messages.length
  s.ws.send(encodeUpdate(update))
  return Promise.race([
    s.closed.then((c) => c.code),
    s.next((m) => m[0] === MessageType.Ack && s.messages.indexOf(m) >= acked).then(() => null),
  ])
}

const presence = (clientId: number, clock: number, state: unknown) =>
  encodeAwareness(encodeAwarenessEntries([{ clientId, clock, state }]))

/** Awareness entries `s` received for `clientId`. */
const presenceOf = (s: RawSocket, clientId: number) =>
  s.messages
    .filter((m) => m[0] === MessageType.Awareness)
    .flatMap((m) => {
      const msg = decodeMessage(m)
      return msg.type === 'awareness' ? decodeAwareness(msg.update) : []
    })
    .filter((e) => e.clientId === clientId)

describe('[L1–L3] devices are bound by their own member’s sockets, never by another’s write', () => {
  it('[L1] a device declared on connect is bound to that member at once; Carol’s write under it is refused (4422) and Bob keeps writing', async () => {
    const device = 'web-alice-declared'
    const alice = await open('alice', 'inbox:pn-a', `&ack=1&device=${device}`)
    expect(storage.getDeviceOwner(device)).toBe('alice')
    const carol = await open('carol', 'inbox:pn-a', '&ack=1')
    expect(await write(carol, markUpdate('carol', device))).toBe(CloseCode.Rejected)
    expect(await write(alice, markUpdate('alice', device))).toBeNull()
    expect(await write(alice, markUpdate('alice', device, 'c-l-2'))).toBeNull()
    alice.ws.close()
  })

  it('[L2] the attack of issue 20: a device id announced in presence is bound to its member, so Carol writing under it first is refused and Bob keeps writing', async () => {
    const device = 'web-alice-announced'
    // Alice's socket declares nothing (an older client) but announces her device in presence.
    const alice = await open('alice', 'inbox:pn-a', '&ack=1')
    const carol = await open('carol', 'inbox:pn-a', '&ack=1')
    alice.ws.send(presence(7001, 1, { deviceId: device, viewing: null }))
    const seen = await carol.next(
      (m) => m[0] === MessageType.Awareness && presenceOf(carol, 7001).length > 0,
    )
    expect(seen).toBeDefined()
    expect(presenceOf(carol, 7001)[0]!.state).toMatchObject({ deviceId: device, memberId: 'alice' })
    expect(storage.getDeviceOwner(device)).toBe('alice')
    // Carol saw it in presence and writes one mark under it before Alice ever wrote one.
    expect(await write(carol, markUpdate('carol', device))).toBe(CloseCode.Rejected)
    expect(await write(alice, markUpdate('alice', device))).toBeNull()
    alice.ws.close()
  })

  it('[L1] a socket declaring another member’s device is closed with 4423 before any document byte; the binding stays', async () => {
    const device = 'web-alice-taken'
    const alice = await open('alice', 'inbox:pn-a', `&device=${device}`)
    const s = rawSocket(url('carol', 'inbox:pn-a', `&device=${device}`))
    const closed = await s.closed
    expect(closed.code).toBe(CloseCode.DeviceTaken)
    expect(closed.reason).toMatch(/another member/)
    expect(s.messages).toEqual([])
    expect(storage.getDeviceOwner(device)).toBe('alice')
    alice.ws.close()
  })

  it('[L1] a declared device that is not an id closes the socket with 4400', async () => {
    const s = rawSocket(url('carol', 'inbox:pn-a', `&device=${encodeURIComponent('a\u001fb')}`))
    expect((await s.closed).code).toBe(CloseCode.Malformed)
  })

  it('[L2] presence announcing another member’s device goes out without it', async () => {
    const device = 'web-alice-shown'
    const alice = await open('alice', 'inbox:pn-a', `&device=${device}`)
    const carol = await open('carol')
    const before = relay.relay.metrics.framesRejected.get('presence-foreign-device') ?? 0
    carol.ws.send(presence(7002, 1, { deviceId: device, viewing: 'c-l-1' }))
    await alice.next(() => presenceOf(alice, 7002).length > 0)
    const state = presenceOf(alice, 7002)[0]!.state as Record<string, unknown>
    expect(state).toMatchObject({ memberId: 'carol', viewing: 'c-l-1' })
    expect(state).not.toHaveProperty('deviceId')
    expect(relay.relay.metrics.framesRejected.get('presence-foreign-device')).toBe(before + 1)
    expect(storage.getDeviceOwner(device)).toBe('alice')
    alice.ws.close()
    carol.ws.close()
  })

  it('[L3] a socket that declares nothing still binds an unseen device by its first write', async () => {
    const carol = await open('carol', 'inbox:pn-a', '&ack=1')
    expect(await write(carol, markUpdate('carol', 'cli-carol-fresh'))).toBeNull()
    expect(storage.getDeviceOwner('cli-carol-fresh')).toBe('carol')
    carol.ws.close()
  })
})

describe('[L4] sockets per member', () => {
  it(`a member’s socket past ${SOCKET_CAP} is closed with 4529; other members are not counted with them, and a freed slot is reusable`, async () => {
    const mine = await Promise.all(
      Array.from({ length: SOCKET_CAP }, () => open('vic', 'workspace')),
    )
    const over = rawSocket(url('vic', 'workspace'))
    const closed = await over.closed
    expect(closed.code).toBe(CloseCode.SlowConsumer)
    expect(closed.reason).toMatch(/open sockets/)
    expect(over.messages).toEqual([])
    const other = await open('carol', 'workspace')
    mine[0]!.ws.close()
    await mine[0]!.closed
    await until(() => relay.relay.connectionCount() <= SOCKET_CAP, 'the freed socket to count')
    const again = await open('vic', 'workspace')
    for (const s of [...mine, other, again]) s.ws.close()
  })
})

describe('[L5] presence size and rate', () => {
  it(`a presence state over ${PRESENCE_CAP} bytes closes that socket with 4413 and reaches nobody`, async () => {
    const watcher = await open('alice')
    const carol = await open('carol')
    carol.ws.send(presence(7003, 1, { deviceId: 'web-carol-big', note: 'x'.repeat(PRESENCE_CAP) }))
    const closed = await carol.closed
    expect(closed.code).toBe(CloseCode.TooLarge)
    expect(closed.reason).toMatch(/presence/)
    // The neighbour's socket is still served, and never saw the state.
    watcher.ws.send(presence(7004, 1, { viewing: null }))
    await watcher.next(() => presenceOf(watcher, 7004).length > 0)
    expect(presenceOf(watcher, 7003)).toEqual([])
    watcher.ws.close()
  })

  it('a burst of presence changes is coalesced to the rate, and the newest state is the one kept', async () => {
    const watcher = await open('alice')
    const carol = await open('carol')
    const burst = 40
    for (let clock = 1; clock <= burst; clock++)
      carol.ws.send(presence(7005, clock, { viewing: `c-${clock}` }))
    await watcher.next(() => presenceOf(watcher, 7005).some((e) => e.clock === burst))
    const got = presenceOf(watcher, 7005)
    expect(got.at(-1)!.state).toMatchObject({ viewing: `c-${burst}` })
    // The bucket (PRESENCE_RATE) plus the coalesced newest; refills while the burst is sent
    // are a few at most, never the whole burst.
    expect(got.length).toBeLessThan(burst / 2)
    expect(relay.relay.metrics.framesRejected.get('presence-coalesced')).toBeGreaterThan(0)
    watcher.ws.close()
    carol.ws.close()
  })
})

/** A client frame header (FIN, binary, masked with a zero key) announcing `length` payload bytes. */
function header(length: number): Buffer {
  const head = Buffer.alloc(14)
  head[0] = 0x82
  head[1] = 0x80 | 127
  head.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
  head.writeUInt32BE(length >>> 0, 6)
  return head // mask key 0: the payload goes as is
}

const socketOf = (ws: WebSocket) =>
  (ws as unknown as { _socket: { write(b: Buffer): void } })._socket

describe('[L6] frames are refused by their header, before buffering', () => {
  it('a frame under the sync cap that is not a sync step 2 is closed with 4413 once its header and first two bytes arrive, its payload never sent', async () => {
    const s = await open('carol')
    const before = relay.relay.metrics.framesRejected.get('too-large') ?? 0
    socketOf(s.ws).write(Buffer.concat([header(SYNC_CAP - 16), Buffer.from([0, 2])]))
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
    expect(relay.relay.metrics.framesRejected.get('too-large')).toBe(before + 1)
  })

  it('the same header sent one byte at a time is refused the same way', async () => {
    const s = await open('carol')
    const bytes = Buffer.concat([header(FRAME_CAP + 10), Buffer.from([1, 0])])
    for (const b of bytes) {
      socketOf(s.ws).write(Buffer.from([b]))
      await new Promise((r) => setImmediate(r))
    }
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
  })

  it('a sync step 2 over the frame cap passes once per socket; a second is refused by its header', async () => {
    // A valid step 2 over the frame cap: contact notes, under the sync cap.
    const doc = new Y.Doc()
    for (let i = 0; i < 8; i++)
      doc.getMap('contacts').set(`+1555000${i}\u001fnotes`, 'n'.repeat(12_000))
    const update = Y.encodeStateAsUpdate(doc)
    expect(update.byteLength).toBeGreaterThan(FRAME_CAP)
    const step2 = (u: Uint8Array) => {
      const frame = encodeUpdate(u)
      frame[1] = 1 // [0 sync][1 step 2]
      return frame
    }
    const contacts = await open('alice', 'contacts', '&ack=1')
    contacts.ws.send(step2(update))
    await contacts.next((m) => m[0] === MessageType.Ack)
    socketOf(contacts.ws).write(Buffer.concat([header(FRAME_CAP + 10), Buffer.from([0, 1])]))
    expect((await contacts.closed).code).toBe(CloseCode.TooLarge)
  })
})

describe('[L6] big sync step 2s a member may have buffered at once', () => {
  it(`past the member's budget (2 × ${SYNC_CAP} bytes) one is refused by its header with 4529; a closed socket gives its share back`, async () => {
    const big = Buffer.concat([header(SYNC_CAP - 16), Buffer.from([0, 1])])
    // Two headers of big step 2s whose payloads never come: each holds its share of the budget.
    const holders = [await open('carol', 'contacts'), await open('carol', 'contacts')]
    for (const s of holders) socketOf(s.ws).write(big)
    await until(
      () => relay.relay.metrics.syncBytesInFlight === 2 * (SYNC_CAP - 16),
      'both headers let in',
    )
    const third = await open('carol', 'contacts')
    socketOf(third.ws).write(big)
    const closed = await third.closed
    expect(closed.code).toBe(CloseCode.SlowConsumer)
    expect(closed.reason).toMatch(/big sync/)
    expect(relay.relay.metrics.framesRejected.get('sync-budget')).toBe(1)
    // Another member has a budget of their own.
    const alice = await open('alice', 'contacts', '&ack=1')
    const doc = new Y.Doc()
    for (let i = 0; i < 8; i++)
      doc.getMap('contacts').set(`+1555100${i}\u001fnotes`, 'm'.repeat(12_000))
    const frame = encodeUpdate(Y.encodeStateAsUpdate(doc))
    frame[1] = 1
    alice.ws.send(frame)
    await alice.next((m) => m[0] === MessageType.Ack)
    // Carol's first holder leaves: her next big step 2 goes through.
    holders[0]!.ws.terminate()
    await holders[0]!.closed
    await until(() => relay.relay.metrics.syncBytesInFlight === SYNC_CAP - 16, 'its share back')
    const fourth = await open('carol', 'contacts', '&ack=1')
    const again = new Y.Doc()
    for (let i = 0; i < 8; i++)
      again.getMap('contacts').set(`+1555200${i}\u001fnotes`, 'c'.repeat(12_000))
    const carolFrame = encodeUpdate(Y.encodeStateAsUpdate(again))
    carolFrame[1] = 1
    fourth.ws.send(carolFrame)
    await fourth.next((m) => m[0] === MessageType.Ack)
    for (const s of [holders[1]!, alice, fourth]) s.ws.close()
  })
})
