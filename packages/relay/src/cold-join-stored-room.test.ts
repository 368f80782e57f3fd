/**
 * A relay serves a cold client the whole stored state of a room, after a restart too, and a
 * client receiving a big room is not closed as a slow consumer meanwhile (DESIGN §4).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { markConversation, listConversations } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, decodeMessage, encodeSyncStep1 } from '@switchboard/protocol'
import { createSqliteStorage } from './storage/sqlite.ts'
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

const relays: TestRelay[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())

/** Applies every sync answer and update a raw socket received, as a y-websocket client would. */
function replay(messages: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  for (const m of messages) {
    if (m[0] !== 0 || m[1] === 0) continue
    const msg = decodeMessage(m)
    if (msg.type === 'update') Y.applyUpdate(doc, msg.update)
  }
  return doc
}

const isStep2 = (m: Uint8Array) => m[0] === 0 && m[1] === 1

describe('[§4 cheap joins] a cold client gets the whole stored room', () => {
  it('a relay restarted on the same store serves a cold client the same state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cold-join-'))
    dirs.push(dir)
    const path = join(dir, 'relay.db')
    const first = await startTestRelay({ storage: createSqliteStorage({ path }), compactEvery: 5 })
    for (let i = 0; i < 12; i++)
      expect((await first.webhook(incoming(`c-cj-${i}`, 'pn-a'))).status).toBe(202)
    const token = await first.login('alice@example.com')
    const a = connectProvider(first.wsUrl, 'inbox:pn-a', token, { ack: '1' })
    const acks = trackAcks(a)
    await a.synced
    for (let i = 0; i < 30; i++)
      markConversation(a.doc, `c-cj-${i % 12}`, i % 2 ? 'done' : 'unread', author('alice'))
    await acks.acked()
    const before = listConversations(a.doc, { view: 'inbox' })
    const sv = Y.encodeStateVector(a.doc)
    a.destroy()
    await first.close()

    const second = await startTestRelay({ storage: createSqliteStorage({ path }) })
    relays.push(second)
    const s = rawSocket(`${second.wsUrl}/inbox:pn-a?token=${token}`)
    await s.opened
    s.ws.send(encodeSyncStep1(EMPTY_SV))
    await s.next(isStep2)
    const got = replay(s.messages)
    expect(listConversations(got, { view: 'inbox' })).toEqual(before)
    expect(Y.encodeStateVector(got)).toEqual(sv)
    s.ws.close()
  })

  it('a cold client still receiving a big room is not closed as a slow consumer when a frame is broadcast meanwhile', async () => {
    const relay = await startTestRelay({ maxBufferedBytes: 64 * 1024 })
    relays.push(relay)
    // ~16 MB of state: more than the kernel's socket buffers hold, so the answer queues.
    await relay.relay.writeRoom('contacts', (doc) => {
      const contacts = doc.getMap('contacts')
      for (let i = 0; i < 160; i++) contacts.set(`+1555${i}\u001fnotes`, 'x'.repeat(100_000) + i)
    })
    const alice = await relay.login('alice@example.com')
    const cold = rawSocket(`${relay.wsUrl}/contacts?token=${alice}`)
    await cold.opened
    const tcp = (cold.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
    tcp.pause()
    cold.ws.send(encodeSyncStep1(EMPTY_SV))

    const writer = connectProvider(relay.wsUrl, 'contacts', alice, { ack: '1' })
    const acks = trackAcks(writer)
    await writer.synced
    // Over the contacts quota already ([M8]): a write that frees room is what a member may make.
    writer.doc.getMap('contacts').set('+15550\u001fnotes', 'written while the answer drains')
    // Acked once stored, right after the broadcast to every socket of the room.
    await acks.acked()
    expect(relay.relay.metrics.socketsClosed.get(CloseCode.SlowConsumer) ?? 0).toBe(0)

    tcp.resume()
    await until(
      () =>
        replay(cold.messages).getMap('contacts').get('+15550\u001fnotes') ===
        'written while the answer drains',
      'the broadcast frame after the big answer',
    )
    const got = replay(cold.messages)
    expect(got.getMap('contacts').toJSON()).toEqual(writer.doc.getMap('contacts').toJSON())
    writer.destroy()
    cold.ws.close()
  }, 30_000)
})
