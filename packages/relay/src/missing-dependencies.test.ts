/**
 * An update that builds on structs the relay does not have yet is held, never refused and never
 * applied with a gap; one whose missing part never comes closes the socket with 4529
 * (docs/protocol.md) so the client resyncs. Found by reliability/ convergence under partitions:
 * an unmodified provider sends a change as soon as it is made, so after an offline spell a new
 * mark can reach the relay before the sync step 2 carrying the offline marks it builds on.
 */
import { history, markConversation } from '@switchboard/core'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MessageType, encodeUpdate } from '@switchboard/protocol'
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
beforeAll(async () => {
  relay = await startTestRelay()
})
afterAll(() => relay.close())

const step2 = (update: Uint8Array) => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.Sync)
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}

describe('an update that arrives before what it builds on', () => {
  it('[§4] a mark sent before the sync step 2 holding its offline predecessors is held, then stored and acknowledged', async () => {
    expect((await relay.webhook(incoming('c-held-1', 'pn-a'))).status).toBe(202)
    const token = await relay.login('alice@example.com')
    const reader = connectProvider(relay.wsUrl, 'inbox:pn-a', token)
    await reader.synced
    // An offline replica: two marks, the second's history entry builds on the first's.
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(reader.doc))
    const before = Y.encodeStateVector(doc)
    const who = author('alice', 'dev-held')
    markConversation(doc, 'c-held-1', 'done', who)
    const offline = Y.encodeStateAsUpdate(doc, before)
    const mid = Y.encodeStateVector(doc)
    markConversation(doc, 'c-held-1', 'unread', who)
    const live = Y.encodeStateAsUpdate(doc, mid)

    const s = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${token}&ack=1`)
    await s.opened
    s.ws.send(encodeUpdate(live)) // the new mark first, as the provider does on reconnect
    s.ws.send(step2(offline)) // then the reply carrying what it builds on
    const target = Y.getState(doc.store, doc.clientID)
    await s.next((m) => {
      const d = decoding.createDecoder(m)
      if (decoding.readVarUint(d) !== MessageType.Ack) return false
      return decoding.readVarUint(d) === doc.clientID && decoding.readVarUint(d) >= target
    })
    await until(
      () => history(reader.doc, 'c-held-1').filter((h) => h.deviceId === 'dev-held').length === 2,
      'both marks reach the other client',
    )
    expect(s.ws.readyState).toBe(s.ws.OPEN)
    s.ws.close()
    reader.destroy()
  })
})

describe('an update with a clock gap', () => {
  it('[§4] a struct far past its client’s clock is never applied, so no pending struct reaches a snapshot (the room would be refused with 4500 after a restart)', async () => {
    const token = await relay.login('alice@example.com')
    const s = rawSocket(`${relay.wsUrl}/inbox:pn-b?token=${token}`)
    await s.opened
    // [1 client][1 struct][client 77][clock 4e9][GC info 0][length 3][no deletions]
    const e = encoding.createEncoder()
    for (const n of [1, 1, 77, 4_000_000_000]) encoding.writeVarUint(e, n)
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, 3)
    encoding.writeVarUint(e, 0)
    s.ws.send(encodeUpdate(encoding.toUint8Array(e)))
    // A malformed frame after it: once the socket is closed for it, the first one was handled.
    s.ws.send(new Uint8Array([0, 9]))
    expect((await s.closed).code).toBe(4400)
    let doc: Y.Doc | null = null
    await relay.relay.writeRoom('inbox:pn-b', (d) => {
      doc = d
    })
    expect(doc!.store.pendingStructs).toBeNull()
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc!))
    expect(fresh.store.pendingStructs).toBeNull()
    expect(Y.getState(fresh.store, 77)).toBe(0)
  })
})

describe('an update whose missing part never comes', () => {
  it('[§4] is held a few seconds, then its socket is closed with 4529, so the client reconnects and resyncs instead of waiting forever', async () => {
    const token = await relay.login('alice@example.com')
    const s = rawSocket(`${relay.wsUrl}/inbox:pn-b?token=${token}`)
    await s.opened
    const e = encoding.createEncoder()
    for (const n of [1, 1, 78, 1000]) encoding.writeVarUint(e, n)
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, 3)
    encoding.writeVarUint(e, 0)
    s.ws.send(encodeUpdate(encoding.toUint8Array(e)))
    expect((await s.closed).code).toBe(4529)
  }, 15_000)
})
