import { markConversation } from '@switchboard/core'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, encodeSyncStep1, encodeUpdate } from '@switchboard/protocol'
import { createMemoryStorage, type MemoryStorage } from './storage/memory.ts'
import {
  author,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  until,
  type TestRelay,
} from './test-helpers.ts'

let relay: TestRelay
let storage: MemoryStorage
let tokens: Record<string, string>
const FRAME_CAP = 64 * 1024
const SYNC_CAP = 4 * FRAME_CAP

beforeAll(async () => {
  storage = createMemoryStorage()
  relay = await startTestRelay({
    storage,
    maxFrameBytes: FRAME_CAP,
    maxSyncFrameBytes: SYNC_CAP,
    maxBufferedBytes: 256 * 1024,
  })
  tokens = Object.fromEntries(
    await Promise.all(
      ['alice', 'carol'].map(async (m) => [m, await relay.login(`${m}@example.com`)]),
    ),
  )
  expect((await relay.webhook(incoming('c-h-1', 'pn-a'))).status).toBe(202)
})
afterAll(() => relay.close())

const open = async (room = 'inbox:pn-a', who = 'alice') => {
  const s = rawSocket(`${relay.wsUrl}/${room}?token=${tokens[who]}`)
  await s.opened
  await s.next(() => true) // the relay's sync step 1
  return s
}

/** A bad frame closes only its own socket: a neighbour in the same room keeps syncing. */
async function neighbourStillSyncs() {
  const a = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.alice!)
  const b = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.carol!)
  await Promise.all([a.synced, b.synced])
  const before = Y.encodeStateVector(b.doc).join()
  markConversation(
    a.doc,
    'c-h-1',
    'done',
    author('alice', `dev-${Math.random().toString(36).slice(2, 8)}`),
  )
  await until(() => Y.encodeStateVector(b.doc).join() !== before, 'neighbour syncs')
  a.destroy()
  b.destroy()
}

const frame = (...parts: ((e: encoding.Encoder) => void)[]) => {
  const e = encoding.createEncoder()
  for (const p of parts) p(e)
  return encoding.toUint8Array(e)
}

describe('[§4 hostile input] one bad socket, one close code, nobody else notices', () => {
  it.each([
    ['an unknown message type', frame((e) => encoding.writeVarUint(e, 42))],
    [
      'an unknown sync step',
      frame(
        (e) => encoding.writeVarUint(e, 0),
        (e) => encoding.writeVarUint(e, 9),
        (e) => encoding.writeVarUint8Array(e, new Uint8Array(2)),
      ),
    ],
    ['a truncated frame', new Uint8Array([0, 2, 200])],
    ['trailing bytes', new Uint8Array([...encodeSyncStep1(new Uint8Array([0])), 7, 7])],
    ['a garbage update', encodeUpdate(new Uint8Array([9, 200, 1, 3, 255, 255, 255, 255]))],
    ['a garbage awareness update', new Uint8Array([1, 3, 1, 1, 1])],
  ])('%s closes that socket with 4400 and one log line', async (_name, bytes) => {
    const before = relay.relay.metrics.socketsClosed.get(CloseCode.Malformed) ?? 0
    const s = await open()
    s.ws.send(bytes)
    expect((await s.closed).code).toBe(CloseCode.Malformed)
    expect(relay.relay.metrics.socketsClosed.get(CloseCode.Malformed)).toBe(before + 1)
    await neighbourStillSyncs()
  })

  it('a text frame closes that socket with 4400', async () => {
    const s = await open()
    s.ws.send('hello')
    expect((await s.closed).code).toBe(CloseCode.Malformed)
  })

  it(`a frame over the cap (${FRAME_CAP} bytes) that is not a sync step 2 is closed with 4413`, async () => {
    const s = await open()
    const before = relay.relay.metrics.framesRejected.get('too-large') ?? 0
    s.ws.send(new Uint8Array(FRAME_CAP + 1)) // zeros: a sync step 1
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
    expect(relay.relay.metrics.framesRejected.get('too-large')).toBeGreaterThan(before)
    await neighbourStillSyncs()
  })

  it(`a sync step 2 over its own cap (${SYNC_CAP} bytes) is refused by ws before buffering and closed with 4413`, async () => {
    const s = await open()
    const before = relay.relay.metrics.framesRejected.get('too-large') ?? 0
    const frame = new Uint8Array(SYNC_CAP + 1)
    frame[1] = 1 // [0 sync][1 step 2]
    s.ws.send(frame)
    expect((await s.closed).code).toBe(CloseCode.TooLarge)
    expect(relay.relay.metrics.framesRejected.get('too-large')).toBeGreaterThan(before)
    await neighbourStillSyncs()
  })

  it('[M8] an update that breaks the schema is rejected with 4422 and not stored', async () => {
    const s = await open()
    const doc = new Y.Doc()
    doc.getMap('marks').set('c-h-1\u001fstatus\u001fdev-x', {
      kind: 'done',
      at: 'x',
      by: 'mallory',
      device: 'dev-x',
      seen: 0,
    })
    const update = Y.encodeStateAsUpdate(doc)
    s.ws.send(encodeUpdate(update))
    expect((await s.closed).code).toBe(CloseCode.Rejected)
    const stored = await storage.loadRoom('inbox:pn-a')
    const replay = new Y.Doc()
    for (const u of stored.updates) Y.applyUpdate(replay, u.data)
    expect(replay.getMap('marks').has('c-h-1\u001fstatus\u001fdev-x')).toBe(false)
    expect(Y.getState(replay.store, doc.clientID)).toBe(0)
  })

  it('[P6] a mark from a clock far in the future is rejected with 4422', async () => {
    const c = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.alice!)
    await c.synced
    const { createHlc } = await import('@switchboard/core')
    const future = {
      memberId: 'alice',
      deviceId: 'dev-future',
      clock: createHlc('dev-future', () => Date.now() + 3600_000),
    }
    markConversation(c.doc, 'c-h-1', 'done', future)
    await until(() => c.closes.some((x) => x.code === CloseCode.Rejected), '4422')
    c.destroy()
  })

  it('a write to the read-only workspace room is rejected with 4422', async () => {
    const c = connectProvider(relay.wsUrl, 'workspace', tokens.alice!)
    await c.synced
    c.doc
      .getMap('members')
      .set('mallory', { id: 'mallory', email: 'm@x', name: 'M', role: 'owner' })
    await until(() => c.closes.some((x) => x.code === CloseCode.Rejected), '4422')
    c.destroy()
  })

  it('a room whose stored state cannot be read is refused with 4500, never served empty', async () => {
    await relay.relay.writeRoom('contacts', (doc) =>
      doc.getMap('contacts').set('+1555\u001fname', 'Ann'),
    )
    await until(() => !relay.relay.loadedRooms().includes('contacts') || true)
    storage.corruptRoom('conversation:c-h-broken')
    storage.setConversationPhoneNumber('c-h-broken', 'pn-a')
    const s = rawSocket(`${relay.wsUrl}/conversation:c-h-broken?token=${tokens.alice}`)
    const closed = await s.closed
    expect(closed.code).toBe(CloseCode.Unreadable)
    expect(s.messages).toEqual([])
  })

  it('stored bytes that Yjs cannot decode are refused with 4500 as well', async () => {
    storage.setConversationPhoneNumber('c-h-garbage', 'pn-a')
    await storage.appendUpdate('conversation:c-h-garbage', new Uint8Array([3, 250, 250, 250, 1, 2]))
    const s = rawSocket(`${relay.wsUrl}/conversation:c-h-garbage?token=${tokens.alice}`)
    expect((await s.closed).code).toBe(CloseCode.Unreadable)
    expect(s.messages).toEqual([])
  })

  it('a socket that stops reading is closed with 4529 instead of growing relay memory', async () => {
    const slow = rawSocket(`${relay.wsUrl}/contacts?token=${tokens.carol}`)
    await slow.opened
    await slow.next(() => true)
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const writer = connectProvider(relay.wsUrl, 'contacts', tokens.alice!)
    await writer.synced
    const big = 'x'.repeat(12_000)
    for (
      let i = 0;
      i < 3000 && !relay.relay.metrics.socketsClosed.get(CloseCode.SlowConsumer);
      i++
    ) {
      writer.doc.getMap('contacts').set(`+1555${i % 100}\u001fnotes`, big + i)
      await new Promise((r) => setImmediate(r))
    }
    await until(
      () => (relay.relay.metrics.socketsClosed.get(CloseCode.SlowConsumer) ?? 0) > 0,
      '4529',
    )
    writer.destroy()
    slow.ws.terminate()
  }, 30_000)
})
