/**
 * A relay that stops serving rooms (scale/room-handoff.ts, docs/scale-out.md "Lost leases and
 * drains"), on any store: while its lease is lost it closes and refuses sockets and loads no
 * room, then serves again; a drain acknowledges what is being stored before the socket closes.
 */
import { getConversation, markConversation } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createMemoryStorage } from '../storage/memory.ts'
import {
  author,
  connectProvider,
  incoming,
  startTestRelay,
  trackAcks,
  until,
  type Client,
  type TestRelay,
} from '../test-helpers.ts'

const ROOM = 'inbox:pn-a'
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A provider that stays closed once the relay closes it (its first close is the one checked). */
function socket(relay: TestRelay, token: string, params: Record<string, string> = {}): Client {
  const c = connectProvider(relay.wsUrl, ROOM, token, params)
  c.provider.on('connection-close', () => (c.provider.shouldConnect = false))
  cleanups.push(() => c.destroy())
  return c
}

describe('a relay that stops serving rooms', () => {
  it('[L7] with its lease lost it closes its sockets with 1001, refuses new ones the same way and loads no room; renewed, it serves again', async () => {
    const relay = await startTestRelay()
    cleanups.push(() => relay.close())
    expect((await relay.webhook(incoming('c-handoff-1', 'pn-a'))).status).toBe(202)
    const alice = socket(relay, await relay.login('alice@example.com'))
    await alice.synced

    relay.relay.handoff.loseLease()
    await until(() => alice.closes.length > 0, 'Alice’s socket to close')
    expect(alice.closes[0]).toEqual({ code: 1001, reason: 'relay lost its room lease' })
    const carol = socket(relay, await relay.login('carol@example.com'))
    await until(() => carol.closes.length > 0, 'Carol’s socket to be refused')
    expect(carol.closes[0]).toEqual({ code: 1001, reason: 'relay lost its room lease' })
    // A relay write needs the room loaded: a webhook is refused with 503 and Retry-After, which
    // providers retry, nothing stored — but a store shared by relays queues it, applied by
    // whichever relay serves the room next [W11].
    const queued = relay.storage.inbound !== undefined
    const later = incoming('c-handoff-2', 'pn-a')
    const during = await relay.webhook(later)
    if (queued) expect(during.status).toBe(202)
    else {
      expect(during.status).toBe(503)
      expect(during.headers.get('retry-after')).toBe('5')
      expect(await during.json()).toEqual({
        error: 'relay lost its room lease: not taken in, retry later',
      })
    }

    relay.relay.handoff.regainLease()
    const again = socket(relay, await relay.login('carol@example.com'))
    await again.synced
    expect(getConversation(again.doc, 'c-handoff-1')).toBeDefined()
    if (!queued) {
      expect(getConversation(again.doc, 'c-handoff-2')).toBeNull()
      // The provider's retry is taken in, once: nothing of the refused delivery was recorded.
      const retry = await relay.webhook(later)
      expect(retry.status).toBe(202)
      expect(await retry.json()).toMatchObject({ results: [{ duplicate: false }] })
    }
    await until(() => getConversation(again.doc, 'c-handoff-2') !== null, 'the later webhook')
  })

  it('a drain acknowledges the change being stored, then releases the leases, then closes the socket with 1001', async () => {
    const storage = createMemoryStorage()
    const append = storage.appendUpdate.bind(storage)
    let held: Promise<void> | null = null
    let arrived = false
    storage.appendUpdate = async (room, data) => {
      if (held) {
        arrived = true
        await held
      }
      return append(room, data)
    }
    const relay = await startTestRelay({ storage })
    cleanups.push(() => relay.close())
    expect((await relay.webhook(incoming('c-handoff-3', 'pn-a'))).status).toBe(202)
    const alice = socket(relay, await relay.login('alice@example.com'), { ack: '1' })
    const acks = trackAcks(alice)
    await alice.synced
    const events: string[] = []
    alice.provider.on('connection-close', () =>
      events.push(
        `close, acked ${acks.clock() >= Y.getState(alice.doc.store, alice.doc.clientID)}`,
      ),
    )

    let store = () => {}
    held = new Promise<void>((resolve) => (store = resolve))
    markConversation(alice.doc, 'c-handoff-3', 'done', author('alice', 'handoff-laptop'))
    await until(() => arrived, 'the mark’s append to reach the store')
    const drained = relay.relay.handoff.drain(async () => {
      events.push('release')
    })
    store()
    expect(await drained).toBeGreaterThan(0)
    await until(() => events.length === 2, 'the socket to close')
    expect(events).toEqual(['release', 'close, acked true'])
    expect(alice.closes[0]).toEqual({ code: 1001, reason: 'relay shutting down' })
  })
})
