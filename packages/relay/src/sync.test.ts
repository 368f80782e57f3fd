import { getConversation, history, markConversation, parseRoom } from '@switchboard/core'
import * as decoding from 'lib0/decoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { MessageType, encodeUpdate } from '@switchboard/protocol'
import {
  author,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  until,
  type Client,
  trackAcks,
  type TestRelay,
} from './test-helpers.ts'
import { createMemoryStorage } from './storage/memory.ts'

let relay: TestRelay

/** Alice on inbox:pn-a (acks on), once a webhook made `conversation`; `marks(n)` waits for each ack. */
async function aliceMarking(on: TestRelay, conversation: string, device: string) {
  expect((await on.webhook(incoming(conversation, 'pn-a'))).status).toBe(202)
  const token = await on.login('alice@example.com')
  const a = connectProvider(on.wsUrl, 'inbox:pn-a', token, { ack: '1' })
  const acks = trackAcks(a)
  await a.synced
  const who = author('alice', device)
  const marks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      markConversation(a.doc, conversation, i % 2 ? 'done' : 'unread', who)
      await acks.acked()
    }
  }
  return { a, marks }
}
let tokens: Record<string, string>
const clients: Client[] = []
const client = (room: string, who: string, params: Record<string, string> = {}) => {
  const c = connectProvider(relay.wsUrl, room, tokens[who]!, params)
  clients.push(c)
  return c
}

beforeAll(async () => {
  relay = await startTestRelay({ roomIdleMs: 50, compactEvery: 5 })
  tokens = Object.fromEntries(
    await Promise.all(
      ['alice', 'carol', 'erin'].map(async (m) => [m, await relay.login(`${m}@example.com`)]),
    ),
  )
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await relay.close()
})

describe('rooms over y-websocket', () => {
  it('[§4] two unmodified WebsocketProvider clients on inbox:<id> see each other’s marks', async () => {
    expect((await relay.webhook(incoming('c-sync-1', 'pn-a'))).status).toBe(202)
    const a = client('inbox:pn-a', 'alice')
    const b = client('inbox:pn-a', 'carol')
    await Promise.all([a.synced, b.synced])
    expect(getConversation(b.doc, 'c-sync-1')?.unread).toBe(true)
    markConversation(a.doc, 'c-sync-1', 'done', author('alice'))
    await until(() => getConversation(b.doc, 'c-sync-1')?.status === 'done', 'carol sees Done')
    markConversation(b.doc, 'c-sync-1', 'unread', author('carol'))
    await until(() => getConversation(a.doc, 'c-sync-1')?.unread === true, 'alice sees Unread')
    expect(getConversation(a.doc, 'c-sync-1')).toEqual(getConversation(b.doc, 'c-sync-1'))
  })

  it('[P3] a signed webhook reopens a Done conversation live for connected clients', async () => {
    expect((await relay.webhook(incoming('c-sync-2', 'pn-a'))).status).toBe(202)
    const a = client('inbox:pn-a', 'alice', { ack: '1' })
    const acks = trackAcks(a)
    await a.synced
    markConversation(a.doc, 'c-sync-2', 'done', author('alice', 'dev-alice-2'))
    await acks.acked()
    const res = await relay.webhook(incoming('c-sync-2', 'pn-a', { body: 'One more thing…' }))
    expect(res.status).toBe(202)
    const body = (await res.json()) as { results: { reopened: boolean }[] }
    expect(body.results[0]!.reopened).toBe(true)
    await until(() => {
      const c = getConversation(a.doc, 'c-sync-2')
      return c?.status === 'open' && c.unread
    }, 'the SMS reopens the conversation on Alice’s screen')
  })

  it('[protocol ack] an ack=1 socket gets type 100 for its clientID once the update is stored', async () => {
    expect((await relay.webhook(incoming('c-sync-3', 'pn-a'))).status).toBe(202)
    const a = client('inbox:pn-a', 'alice', { ack: '1' })
    const acks: { clientId: number; clock: number }[] = []
    a.provider.messageHandlers[MessageType.Ack] = (_enc, dec) => {
      acks.push({ clientId: decoding.readVarUint(dec), clock: decoding.readVarUint(dec) })
    }
    await a.synced
    markConversation(a.doc, 'c-sync-3', 'done', author('alice', 'dev-ack'))
    const clock = Y.getState(a.doc.store, a.doc.clientID)
    await until(() => acks.some((x) => x.clientId === a.doc.clientID && x.clock >= clock), 'ack')
    // Durable before acknowledged: the stored log alone contains the mark.
    const stored = await relay.relay.storage.loadRoom('inbox:pn-a')
    const replay = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(replay, stored.snapshot)
    for (const u of stored.updates) Y.applyUpdate(replay, u.data)
    expect(getConversation(replay, 'c-sync-3')?.status).toBe('done')
  })

  it('[§4 awareness] a socket sets only its own clientID; its state is stamped with the member', async () => {
    const a = client('inbox:pn-b', 'alice')
    const b = client('inbox:pn-b', 'erin')
    await Promise.all([a.synced, b.synced])
    a.provider.awareness.setLocalState({ viewing: 'c-1', memberId: 'mallory' })
    await until(() => b.provider.awareness.getStates().has(a.doc.clientID), 'erin sees alice')
    const state = b.provider.awareness.getStates().get(a.doc.clientID)!
    expect(state).toMatchObject({ viewing: 'c-1', memberId: 'alice', memberName: 'alice' })

    const raw = rawSocket(`${relay.wsUrl}/inbox:pn-b?token=${tokens.erin}`)
    await raw.opened
    const { encodeAwarenessEntries, encodeAwareness } = await import('@switchboard/protocol')
    const before = relay.relay.metrics.framesRejected.get('awareness-foreign-client') ?? 0
    raw.ws.send(
      encodeAwareness(
        encodeAwarenessEntries([
          { clientId: 777, clock: 1, state: { viewing: 'x' } },
          { clientId: a.doc.clientID, clock: 999, state: { viewing: 'spoofed' } },
        ]),
      ),
    )
    await until(() => b.provider.awareness.getStates().has(777), 'own entry applied')
    await until(
      () => (relay.relay.metrics.framesRejected.get('awareness-foreign-client') ?? 0) > before,
    )
    expect(b.provider.awareness.getStates().get(a.doc.clientID)).toMatchObject({ viewing: 'c-1' })
    raw.ws.close()
    await until(() => !b.provider.awareness.getStates().has(777), 'state removed on close')
  })

  it('[§4 awareness] a client that joins second and echoes its teammates’ states is still seen', async () => {
    const a = client('inbox:pn-b', 'alice')
    await a.synced
    a.provider.awareness.setLocalState({ viewing: 'c-1' })
    // Erin joins with no local state yet (as an app does before it knows what she views): her
    // provider's first awareness frame re-sends Alice's state it just received.
    const doc = new Y.Doc()
    const awareness = new Awareness(doc)
    awareness.setLocalState(null)
    const provider = new WebsocketProvider(relay.wsUrl, 'inbox:pn-b', doc, {
      params: { token: tokens.erin! },
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      awareness,
    })
    try {
      await until(() => awareness.getStates().has(a.doc.clientID), 'erin sees alice')
      await new Promise((r) => setTimeout(r, 50))
      awareness.setLocalState({ viewing: 'c-2', replying: true })
      await until(() => a.provider.awareness.getStates().has(doc.clientID), 'alice sees erin')
      expect(a.provider.awareness.getStates().get(doc.clientID)).toMatchObject({
        viewing: 'c-2',
        memberId: 'erin',
      })
    } finally {
      provider.destroy()
    }
  })

  it('[§4] idle rooms unload and a compacted room reloads with every change', async () => {
    expect((await relay.webhook(incoming('c-sync-4', 'pn-b'))).status).toBe(202)
    const a = client('inbox:pn-b', 'erin', { ack: '1' })
    let acked = 0
    a.provider.messageHandlers[MessageType.Ack] = (_e, dec) => {
      decoding.readVarUint(dec)
      acked = decoding.readVarUint(dec)
    }
    await a.synced
    const who = author('erin', 'dev-erin-compact')
    for (let i = 0; i < 12; i++) {
      markConversation(a.doc, 'c-sync-4', i % 2 ? 'done' : 'unread', who)
      const clock = Y.getState(a.doc.store, a.doc.clientID)
      await until(() => acked >= clock, `ack ${i}`)
    }
    expect(relay.relay.metrics.compactions).toBeGreaterThan(0)
    expect((await relay.relay.storage.logSize('inbox:pn-b')).count).toBeLessThan(12)
    const expected = getConversation(a.doc, 'c-sync-4')
    a.destroy()
    for (const c of clients.splice(0)) c.destroy()
    await until(() => !relay.relay.loadedRooms().includes('inbox:pn-b'), 'room unloaded')
    const b = client('inbox:pn-b', 'alice')
    await b.synced
    expect(getConversation(b.doc, 'c-sync-4')).toEqual(expected)
    expect(parseRoom('inbox:pn-b')).not.toBeNull()
  })

  it('[§4 fast] updates arriving in one event-loop turn are stored and broadcast as one frame', async () => {
    expect((await relay.webhook(incoming('c-sync-6', 'pn-a'))).status).toBe(202)
    const watcher = client('inbox:pn-a', 'carol')
    await watcher.synced
    const writer = new Y.Doc()
    const sync = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.alice!)
    await sync.synced
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(sync.doc))
    sync.destroy()
    const raw = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${tokens.alice}`)
    await raw.opened
    await raw.next(() => true)
    const frames: Uint8Array[] = []
    writer.on('update', (u: Uint8Array) => frames.push(encodeUpdate(u)))
    const who = author('alice', 'dev-coalesce')
    for (let i = 0; i < 10; i++)
      markConversation(writer, 'c-sync-6', i % 2 ? 'done' : 'unread', who)
    const { metrics } = relay.relay
    const [inBefore, storedBefore] = [metrics.updatesIn, metrics.updatesStored]
    const socket = (raw.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket
    socket.cork()
    for (const f of frames) raw.ws.send(f)
    socket.uncork()
    await until(
      () => getConversation(watcher.doc, 'c-sync-6')?.status === 'done',
      'watcher sees the last mark',
    )
    expect(metrics.updatesIn - inBefore).toBe(10)
    expect(metrics.updatesStored - storedBefore).toBeLessThan(10)
    raw.ws.close()
  })

  it('a quiet socket gets a 3-byte keepalive, so unmodified providers do not time out', async () => {
    const quiet = await startTestRelay({ keepaliveMs: 20 })
    try {
      const token = await quiet.login('carol@example.com')
      const raw = rawSocket(`${quiet.wsUrl}/contacts?token=${token}`)
      await raw.opened
      const keepalive = await raw.next((m) => m.length === 3 && m[0] === MessageType.Awareness)
      expect([...keepalive]).toEqual([1, 1, 0])
      raw.ws.close()
    } finally {
      await quiet.close()
    }
  })

  it('[§4] compaction prunes inbox history past the horizon and keeps every mark', async () => {
    const pruning = await startTestRelay({ compactEvery: 5, historyHorizonMs: 0 })
    try {
      const { a, marks } = await aliceMarking(pruning, 'c-sync-5', 'dev-prune')
      await marks(12)
      await until(() => history(a.doc, 'c-sync-5').length < 12, 'history pruned on the client too')
      expect(getConversation(a.doc, 'c-sync-5')).toMatchObject({ status: 'done', unread: false })
      a.destroy()
    } finally {
      await pruning.close()
    }
  })

  it('[§4] the history of a room is walked for entries past the horizon at most once an hour, not at every compaction', async () => {
    const start = Date.now()
    let clock = start
    const minutes = (m: number) => (clock = start + m * 60_000)
    const storage = createMemoryStorage()
    let compactions = 0
    const compact = storage.compact.bind(storage)
    storage.compact = (...args) => (compactions++, compact(...args))
    const pruning = await startTestRelay({
      storage,
      compactEvery: 3,
      historyHorizonMs: 2 * 3_600_000,
      tokenTtlSeconds: 86_400,
      now: () => clock,
    })
    try {
      const alice = await aliceMarking(pruning, 'c-sync-6', 'dev-prune-hourly')
      const a = alice.a
      // The marks are made at the real time (start): only the relay's clock moves.
      const marks = async () => {
        const before = compactions
        await alice.marks(4)
        await until(() => compactions > before, 'a compaction')
      }
      await marks() // walked at 0 min: nothing past the 2-h horizon
      minutes(90)
      await marks() // walked at 90 min: still nothing
      const kept = history(a.doc, 'c-sync-6').length
      expect(kept).toBeGreaterThanOrEqual(8)
      minutes(130)
      await marks() // past the horizon now, but walked 40 min ago: kept
      await new Promise((r) => setTimeout(r, 100))
      expect(history(a.doc, 'c-sync-6').length).toBeGreaterThanOrEqual(kept + 4)
      minutes(160)
      await marks() // walked 70 min ago: walked again, archived
      await until(() => history(a.doc, 'c-sync-6').length < 4, 'history pruned')
      a.destroy()
    } finally {
      await pruning.close()
    }
  })
})
