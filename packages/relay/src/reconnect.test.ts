import { markConversation } from '@switchboard/core'
import * as decoding from 'lib0/decoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, encodeSyncStep1, encodeSyncStep2 } from '@switchboard/protocol'
import { encodeDeletionsOnlyUpdate, subtractDeleteSets } from './delete-sets.ts'
import {
  author,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  trackAcks,
  until,
  type TestRelay,
} from './test-helpers.ts'

let relay: TestRelay
let tokens: Record<string, string>
beforeAll(async () => {
  relay = await startTestRelay()
  tokens = Object.fromEntries(
    await Promise.all(
      ['alice', 'carol'].map(async (m) => [m, await relay.login(`${m}@example.com`)]),
    ),
  )
})
afterAll(() => relay.close())

const isStep2 = (m: Uint8Array) => m[0] === 0 && m[1] === 1
const step2Payload = (m: Uint8Array) => {
  const d = decoding.createDecoder(m)
  decoding.readVarUint(d)
  decoding.readVarUint(d)
  return decoding.readVarUint8Array(d)
}

describe('[§4 fast] sync answers', () => {
  it('an up-to-date client reconnecting is sent almost nothing, not the whole delete set', async () => {
    expect((await relay.webhook(incoming('c-r-1', 'pn-a'))).status).toBe(202)
    const a = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.alice!, { ack: '1' })
    const acks = trackAcks(a)
    await a.synced
    const who = author('alice', 'dev-r')
    for (let i = 0; i < 400; i++) markConversation(a.doc, 'c-r-1', i % 2 ? 'done' : 'unread', who)
    await acks.acked()
    const plain = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(a.doc))

    const s = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${tokens.alice}`)
    await s.opened
    s.ws.send(encodeSyncStep1(Y.encodeStateVector(a.doc)))
    s.ws.send(encodeSyncStep2(plain)) // what y-websocket replies to the relay's step 1
    const answer = step2Payload(await s.next(isStep2))
    console.log(
      `reconnect answer: ${answer.byteLength} bytes (plain y-protocols: ${plain.byteLength} bytes)`,
    )
    expect(plain.byteLength).toBeGreaterThan(1000)
    expect(answer.byteLength).toBeLessThan(8)
    s.ws.close()
    a.destroy()
  })

  it('a reconnecting client still receives the deletions it missed while offline', async () => {
    const a = connectProvider(relay.wsUrl, 'contacts', tokens.alice!, { ack: '1' })
    const acks = trackAcks(a)
    const b = connectProvider(relay.wsUrl, 'contacts', tokens.carol!)
    await Promise.all([a.synced, b.synced])
    a.doc.getMap('contacts').set('+15550001\u001fname', 'Ann')
    a.doc.getMap('contacts').set('+15550002\u001fname', 'Ben')
    await until(() => b.doc.getMap('contacts').size === 2, 'carol sees contacts')
    b.provider.disconnect()
    a.doc.getMap('contacts').delete('+15550001\u001fname') // a deletion only: no clock advances
    await acks.acked()
    await relay.relay.writeRoom('contacts', () => {})
    b.provider.connect()
    await until(() => !b.doc.getMap('contacts').has('+15550001\u001fname'), 'deletion arrives')
    expect(b.doc.getMap('contacts').toJSON()).toEqual(a.doc.getMap('contacts').toJSON())
    a.destroy()
    b.destroy()
  })

  it('subtractDeleteSets keeps exactly the ranges the other side lacks', () => {
    const ds = (entries: [number, [number, number][]][]) =>
      ({
        clients: new Map(entries.map(([c, rs]) => [c, rs.map(([clock, len]) => ({ clock, len }))])),
      }) as unknown as Parameters<typeof subtractDeleteSets>[0]
    const missing = subtractDeleteSets(
      ds([
        [
          1,
          [
            [0, 10],
            [20, 5],
          ],
        ],
        [2, [[3, 1]]],
      ]),
      ds([
        [
          1,
          [
            [2, 3],
            [8, 1],
            [20, 5],
          ],
        ],
        [2, [[3, 1]]],
      ]),
    )
    expect([...missing]).toEqual([
      [
        1,
        [
          { clock: 0, len: 2 },
          { clock: 5, len: 3 },
          { clock: 9, len: 1 },
        ],
      ],
    ])
    const update = encodeDeletionsOnlyUpdate(missing)
    const decoded = Y.decodeUpdate(update)
    expect(decoded.structs).toEqual([])
    expect([...decoded.ds.clients.get(1)!].map((r) => [r.clock, r.len])).toEqual([
      [0, 2],
      [5, 3],
      [9, 1],
    ])
  })

  it('subtractDeleteSets reads ranges in any order (a hostile client need not sort them)', () => {
    const ds = (ranges: [number, number][]) =>
      ({
        clients: new Map([[1, ranges.map(([clock, len]) => ({ clock, len }))]]),
      }) as unknown as Parameters<typeof subtractDeleteSets>[0]
    const missing = subtractDeleteSets(
      ds([
        [20, 5],
        [0, 10],
      ]),
      ds([
        [20, 5],
        [0, 4],
      ]),
    )
    expect([...missing]).toEqual([[1, [{ clock: 4, len: 6 }]]])
  })

  it('a replica that deleted while offline gets its deletion through its sync step 2', async () => {
    const a = connectProvider(relay.wsUrl, 'contacts', tokens.alice!)
    const b = connectProvider(relay.wsUrl, 'contacts', tokens.carol!, { ack: '1' })
    await Promise.all([a.synced, b.synced])
    b.doc.getMap('contacts').set('+15550003\u001fname', 'Cy')
    b.doc.getMap('contacts').set('+15550004\u001fname', 'Di')
    await until(() => a.doc.getMap('contacts').has('+15550004\u001fname'), 'alice sees contacts')
    b.provider.disconnect()
    // A deletion only: b's state vector does not move, so only its step 2 carries it.
    b.doc.getMap('contacts').delete('+15550003\u001fname')
    b.provider.connect()
    await until(() => !a.doc.getMap('contacts').has('+15550003\u001fname'), 'deletion arrives')
    let stored = true
    await relay.relay.writeRoom('contacts', (doc) => {
      stored = doc.getMap('contacts').has('+15550003\u001fname')
    })
    expect(stored).toBe(false)
    a.destroy()
    b.destroy()
  })

  it('a replica rejoining with marks the relay already stored has them acknowledged again', async () => {
    const url = `${relay.wsUrl}/inbox:pn-a?token=${tokens.alice}&ack=1`
    const replica = new Y.Doc()
    const first = rawSocket(url)
    await first.opened
    first.ws.send(encodeSyncStep1(Y.encodeStateVector(replica)))
    const step2 = await first.next(isStep2)
    Y.applyUpdate(replica, step2Payload(step2))
    markConversation(replica, 'c-r-1', 'done', author('alice', 'dev-r2'))
    first.ws.send(encodeSyncStep2(Y.encodeStateAsUpdate(replica)))
    const ackOf = (m: Uint8Array) => {
      const d = decoding.createDecoder(m)
      if (decoding.readVarUint(d) !== 100) return null
      return { client: decoding.readVarUint(d), clock: decoding.readVarUint(d) }
    }
    const isMine = (m: Uint8Array) => ackOf(m)?.client === replica.clientID
    await first.next(isMine)
    // The connection drops before the replica reads its ack: it sends the marks again.
    first.ws.terminate()
    const again = rawSocket(url)
    await again.opened
    again.ws.send(encodeSyncStep1(Y.encodeStateVector(replica)))
    again.ws.send(encodeSyncStep2(Y.encodeStateAsUpdate(replica)))
    expect(ackOf(await again.next(isMine))!.clock).toBe(Y.getState(replica.store, replica.clientID))
    again.ws.close()
  })
})

describe("[§4 hostile] the frame cap and a replica's delete set", () => {
  it('a replica whose sync step 2 (its whole delete set) exceeds the frame cap still reconnects', async () => {
    const small = await startTestRelay({ maxFrameBytes: 2048 })
    try {
      const token = await small.login('alice@example.com')
      expect((await small.webhook(incoming('c-big-1', 'pn-a'))).status).toBe(202)
      const a = connectProvider(small.wsUrl, 'inbox:pn-a', token, { ack: '1' })
      const acks = trackAcks(a)
      await a.synced
      const who = author('alice', 'dev-big')
      for (let i = 0; i < 1500; i++)
        markConversation(a.doc, 'c-big-1', i % 2 ? 'done' : 'unread', who)
      await acks.acked()
      const step2 = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(a.doc))
      expect(step2.byteLength).toBeGreaterThan(2048)
      a.provider.disconnect()
      a.provider.connect()
      await until(() => a.provider.synced, 'synced again')
      expect(a.closes.map((c) => c.code)).not.toContain(CloseCode.TooLarge)
      a.destroy()
    } finally {
      await small.close()
    }
  })
})
