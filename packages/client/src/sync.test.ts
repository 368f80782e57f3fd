import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createSwitchboard } from './node.ts'
import type { Switchboard } from './types.ts'
import {
  incoming,
  login,
  openClient,
  startRelay,
  startRelayProcess,
  tempDir,
  until,
  type TestRelay,
} from '../test/harness.ts'

/** Lets the wall clock move on, so the next mark is the later intent (not an HLC tie). */
const laterMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5))

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayWithConversation(...ids: string[]): Promise<TestRelay> {
  return seeded(await startRelay(), ids)
}

async function seeded(relay: TestRelay, ids: string[]): Promise<TestRelay> {
  cleanups.push(() => relay.stop())
  for (const id of ids) await relay.ingest(incoming(id, `hello from ${id}`))
  return relay
}

async function client(
  relay: TestRelay,
  email: string,
  opts: Parameters<typeof openClient>[2] = {},
) {
  const sb = await openClient(relay, email, opts)
  cleanups.push(() => sb.destroy())
  return sb
}

function state(sb: Switchboard, id: string) {
  const c = sb.inbox('pn1').get(id)
  return c && { status: c.status, unread: c.unread, by: c.decidedBy?.memberId ?? null }
}

describe('two replicas through the relay', () => {
  it('[P1] two clients converge on a mark made by one of them', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await alice.whenSynced()
    await bob.whenSynced()
    await until(bob, () => bob.inbox('pn1').get('c1') !== null)
    expect(alice.inbox('pn1').get('c1')?.unread).toBe(true)
    await alice.inbox('pn1').markDone('c1')
    expect(alice.pending).toBeGreaterThan(0)
    await alice.whenSynced()
    expect(alice.pending).toBe(0)
    await until(bob, () => bob.inbox('pn1').get('c1')?.status === 'done')
    expect(state(bob, 'c1')).toEqual(state(alice, 'c1'))
    expect(state(bob, 'c1')).toEqual({ status: 'done', unread: false, by: 'alice' })
  })
})

describe('offline replicas merge on reconnect', () => {
  it('[P2] both offline, conflicting marks: the later intent wins on both after reconnect', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await until(bob, () => bob.inbox('pn1').get('c1') !== null)
    await alice.whenSynced()
    alice.disconnect()
    bob.disconnect()
    expect(alice.status).toBe('offline')
    await alice.inbox('pn1').markDone('c1')
    await laterMillisecond()
    await bob.inbox('pn1').markUnread('c1') // later HLC: Bob's intent wins
    expect(alice.pending).toBe(1)
    expect(bob.pending).toBe(1)
    alice.connect()
    bob.connect()
    await alice.whenSynced()
    await bob.whenSynced()
    await until(alice, () => state(alice, 'c1')?.by === 'bob')
    await until(bob, () => state(bob, 'c1')?.by === 'bob')
    expect(state(alice, 'c1')).toEqual({ status: 'open', unread: true, by: 'bob' })
    expect(state(bob, 'c1')).toEqual(state(alice, 'c1'))
  })

  it('[P3] an SMS that arrives while the Done author is offline reopens the conversation everywhere', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await until(bob, () => bob.inbox('pn1').get('c1') !== null)
    await until(alice, () => alice.inbox('pn1').get('c1') !== null)
    alice.disconnect()
    bob.disconnect()
    await bob.inbox('pn1').markDone('c1')
    await relay.ingest(incoming('c1', 'are you there?'))
    await alice.inbox('pn1').markRead('c1')
    alice.connect()
    bob.connect()
    await alice.whenSynced()
    await bob.whenSynced()
    const reopened = (sb: Switchboard) => {
      const c = sb.inbox('pn1').get('c1')
      return c?.status === 'open' && c.unread && c.lastActivity?.preview.includes('there') === true
    }
    await until(alice, () => reopened(alice))
    await until(bob, () => reopened(bob))
    expect(bob.inbox('pn1').get('c1')?.reopenedBy).not.toBeNull()
    expect(state(alice, 'c1')).toEqual(state(bob, 'c1'))
  })
})

describe('pending and durability', () => {
  it('pending rises while the relay is down (SIGKILL) and returns to 0 after it restarts, nothing lost', async () => {
    const relay = await seeded(await startRelayProcess(), ['c1', 'c2', 'c3'])
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await alice.whenSynced()
    await until(alice, () => alice.inbox('pn1').list('all').length === 3)
    await relay.kill()
    await until(alice, () => alice.status !== 'online')
    const inbox = alice.inbox('pn1')
    await inbox.markDone('c1')
    await inbox.pin('c2')
    await inbox.markDone('c3')
    expect(alice.pending).toBe(3)
    await relay.restart()
    await alice.whenSynced()
    expect(alice.pending).toBe(0)
    await until(bob, () => bob.inbox('pn1').get('c3')?.status === 'done')
    expect(bob.inbox('pn1').get('c1')?.status).toBe('done')
    expect(bob.inbox('pn1').get('c2')?.pinned).toBe(true)
  })

  it('a client restarted from its storage while offline still has its marks, and pushes them later', async () => {
    const relay = await relayWithConversation('c1', 'c2')
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const first = await openClient(relay, 'alice@example.com', { dir: tmp.dir, deviceId: 'laptop' })
    await until(first, () => first.inbox('pn1').list('all').length === 2)
    await first.whenSynced()
    first.disconnect()
    await first.inbox('pn1').markDone('c1')
    await first.inbox('pn1').assign('c2', 'bob')
    expect(first.pending).toBe(2)
    await first.destroy()

    const again = await client(relay, 'alice@example.com', {
      dir: tmp.dir,
      deviceId: 'laptop',
      connect: false,
    })
    await again.inbox('pn1').whenLoaded
    expect(again.status).toBe('offline')
    expect(again.inbox('pn1').get('c1')?.status).toBe('done')
    expect(again.inbox('pn1').get('c2')?.assignee).toBe('bob')
    expect(again.pending).toBe(2)

    const bob = await client(relay, 'bob@example.com')
    again.connect()
    await again.whenSynced()
    expect(again.pending).toBe(0)
    await until(bob, () => bob.inbox('pn1').get('c2')?.assignee === 'bob')
    expect(bob.inbox('pn1').get('c1')?.status).toBe('done')
  })
})

describe('undo, notes and presence', () => {
  it('undo is a compensating mark that restores the previous state', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const inbox = alice.inbox('pn1')
    await until(alice, () => inbox.get('c1') !== null)
    await inbox.markDone('c1')
    expect(inbox.get('c1')).toMatchObject({ status: 'done', unread: false })
    expect(await inbox.undo('c1')).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ status: 'open', unread: true })
    expect(inbox.history('c1').map((h) => h.kind)).toEqual(['done', 'unread'])
    expect(await inbox.undo('c1')).toBe(false)
  })

  it('a note with a mention gives the mentioned member a mention they can see and clear', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await until(alice, () => alice.inbox('pn1').get('c1') !== null)
    const convo = alice.openConversation('c1', 'pn1')
    await convo.whenLoaded
    const note = await convo.addNote('can you call them back @bob?', ['bob'])
    expect(convo.notes().map((n) => n.id)).toEqual([note.id])
    await alice.whenSynced()
    await until(bob, () => bob.inbox('pn1').mentions('bob').length === 1)
    const [mention] = bob.inbox('pn1').mentions('bob')
    expect(mention).toMatchObject({ conversationId: 'c1', noteId: note.id, by: 'alice' })
    await bob.inbox('pn1').clearMention(mention!.id)
    expect(bob.inbox('pn1').mentions('bob')).toEqual([])
    convo.close()
  })

  it('viewers shows who else is on a conversation, and whether they are replying', async () => {
    const relay = await relayWithConversation('c1')
    const alice = await client(relay, 'alice@example.com')
    const bob = await client(relay, 'bob@example.com')
    await alice.whenSynced()
    await bob.whenSynced()
    alice.setViewing('c1')
    alice.setReplying(true)
    await new Promise<void>((resolve) => {
      const check = () => bob.viewers('c1').length === 1 && resolve()
      bob.onPresence(check)
      check()
    })
    expect(bob.viewers('c1')).toEqual([
      { memberId: 'alice', name: expect.any(String), deviceId: alice.deviceId, replying: true },
    ])
    expect(alice.viewers('c1')).toEqual([])
  })
})

describe('re-sync', () => {
  it('after a period offline, reconnecting downloads what changed, not what the replica has', async () => {
    const relay = await relayWithConversation()
    for (let i = 0; i < 120; i++)
      await relay.ingest(incoming(`c${i}`, `message ${i} `.padEnd(200, 'x')))
    let received = 0
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        this.on('message', (data: ArrayBuffer | Buffer) => {
          received += data instanceof ArrayBuffer ? data.byteLength : data.length
        })
      }
    }
    const session = await login(relay.url, 'alice@example.com')
    const tmp = tempDir()
    cleanups.push(() => tmp.remove())
    const options = {
      url: relay.url,
      token: session.token,
      member: session.member,
      storage: 'file' as const,
      dir: tmp.dir,
      deviceId: 'laptop',
      WebSocket: CountingWebSocket,
    }
    const first = createSwitchboard(options)
    await first.whenSynced()
    await until(first, () => first.inbox('pn1').list('all').length === 120)
    const full = received
    await first.destroy()

    await relay.ingest(incoming('c-new', 'one more'))
    received = 0
    const again = createSwitchboard(options)
    cleanups.push(() => again.destroy())
    await again.whenSynced()
    await until(again, () => again.inbox('pn1').get('c-new') !== null)
    expect(again.inbox('pn1').list('all')).toHaveLength(121)
    expect(received).toBeLessThan(full / 10)
  })
})

describe('many rooms in one Node process', () => {
  it('twelve replicas (two dozen rooms) open without a listener-leak warning, and the limit comes back when they close', async () => {
    const relay = await relayWithConversation('c-many')
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    const limit = process.getMaxListeners()
    try {
      const replicas: Switchboard[] = []
      for (let i = 0; i < 12; i++) replicas.push(await openClient(relay, 'alice@example.com'))
      for (const sb of replicas) await sb.whenSynced()
      expect(process.listenerCount('exit')).toBeGreaterThan(10)
      for (const sb of replicas) await sb.destroy()
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
      expect(process.getMaxListeners()).toBe(limit)
    } finally {
      process.off('warning', onWarning)
    }
  })
})
