import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  addMention,
  assignConversation,
  clearMention,
  compactInbox,
  conversationIds,
  epochOf,
  getConversation,
  history,
  ingestActivity,
  listConversations,
  markConversation,
  parseRoom,
  pinConversation,
  replayIntoEpoch,
  unreadCount,
  validateUpdate,
  type MarkKind,
} from '../src/index.ts'
import { createPrng } from '../src/testing/index.ts'
import { activity, device, sync, T0 } from './helpers.ts'

const room = parseRoom('inbox:pn1')!

/** A relay doc with `n` conversations and many overwritten marks from several devices. */
function busyInbox(n: number, marks: number, seed = 1) {
  const prng = createPrng(seed)
  const relay = new Y.Doc()
  const devs = [device('alice', 'a1'), device('alice', 'a2'), device('bob', 'b1')]
  for (let i = 0; i < n; i++) ingestActivity(relay, activity(`c${i}`, { at: T0 + i }))
  const docs = devs.map(() => new Y.Doc())
  sync(relay, ...docs)
  const kinds: MarkKind[] = ['done', 'open', 'unread', 'read']
  for (let i = 0; i < marks; i++) {
    const k = prng.int(devs.length)
    const d = devs[k]!
    d.clock.now += prng.int(3000)
    const id = `c${prng.int(n)}`
    const r = prng.next()
    if (r < 0.7) markConversation(docs[k]!, id, prng.pick(kinds), d.author)
    else if (r < 0.85) pinConversation(docs[k]!, id, d.author)
    else assignConversation(docs[k]!, id, prng.pick(['alice', 'bob', null]), d.author)
    if (prng.chance(0.3)) ingestActivity(relay, activity(id, { at: d.clock.now }))
    if (prng.chance(0.5)) sync(relay, docs[k]!)
  }
  sync(relay, ...docs)
  return { relay, devs, docs }
}

const states = (doc: Y.Doc) =>
  Object.fromEntries(conversationIds(doc).map((id) => [id, getConversation(doc, id)]))

describe('[E2] compaction into a new epoch', () => {
  it('[E2] every conversation derives exactly the same state before and after compaction', () => {
    const { relay } = busyInbox(40, 2000)
    const { doc, droppedMarks } = compactInbox(relay, {
      epoch: 'e1',
      historySince: 0,
      now: T0,
    })
    expect(droppedMarks).toBeGreaterThan(0)
    expect(states(doc)).toEqual(states(relay))
    expect(unreadCount(doc)).toBe(unreadCount(relay))
    expect(listConversations(doc, { view: 'all' })).toEqual(
      listConversations(relay, { view: 'all' }),
    )
    // A replica built from the encoded epoch (what a cold client receives) agrees too.
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc))
    expect(states(fresh)).toEqual(states(relay))
    expect(epochOf(fresh)).toMatchObject({ id: 'e1', previous: null, historySince: 0 })
    expect(Y.encodeStateAsUpdate(doc).byteLength).toBeLessThan(
      Y.encodeStateAsUpdate(relay).byteLength,
    )
  })

  it('[E2] the new epoch holds one writer id and no deletions', () => {
    const { relay } = busyInbox(10, 300)
    const { doc } = compactInbox(relay, { epoch: 'e1', historySince: 0, now: T0, clientID: 7 })
    expect([...doc.store.clients.keys()]).toEqual([7])
    expect(Y.decodeUpdate(Y.encodeStateAsUpdate(doc)).ds.clients.size).toBe(0)
  })

  it('[E2, B10] history older than the cutoff is handed out for the archive, the rest is kept', () => {
    const { relay } = busyInbox(10, 300)
    const all = relay.getArray('history').length
    const walls = relay
      .getArray<{ at: string }>('history')
      .map((e) => Number(e.at.slice(0, 15)))
      .sort((a, b) => a - b)
    const cut = walls[walls.length >> 1]!
    const { doc, archived } = compactInbox(relay, { epoch: 'e1', historySince: cut, now: T0 })
    const kept = doc.getArray('history').length
    expect(archived.length).toBeGreaterThan(0)
    expect(kept).toBeGreaterThan(0)
    expect(archived.length + kept).toBe(all)
    for (const e of archived) expect(Number(e.at.slice(0, 15))).toBeLessThan(cut)
    for (const id of conversationIds(doc))
      for (const e of history(doc, id))
        expect(Number(e.at.slice(0, 15))).toBeGreaterThanOrEqual(cut)
  })

  it('[E1, M8] members cannot write the epoch root', () => {
    const { relay } = busyInbox(2, 5)
    const member = new Y.Doc()
    sync(relay, member)
    const before = Y.encodeStateVector(member)
    member.getMap('meta').set('epoch', 'mine')
    const update = Y.encodeStateAsUpdate(member, before)
    const check = validateUpdate(relay, update, {
      room,
      memberId: 'alice',
      now: T0,
      maxDrift: 60_000,
    })
    expect(check).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('[E3] a replica of an older epoch adopts the new one', () => {
  it('[E3, P1] unsynced marks made offline are replayed and the result equals the uncompacted merge', () => {
    const { relay, devs, docs } = busyInbox(20, 600, 2)
    const bob = devs[2]!
    const bobDoc = docs[2]!
    const control = new Y.Doc()
    sync(relay, control)
    // Bob goes offline and marks; meanwhile others mark and a new SMS arrives.
    bob.clock.now = Math.max(...devs.map((d) => d.clock.now)) + 10_000
    markConversation(bobDoc, 'c1', 'done', bob.author)
    pinConversation(bobDoc, 'c2', bob.author)
    assignConversation(bobDoc, 'c3', 'bob', bob.author)
    markConversation(bobDoc, 'c4', 'read', bob.author)
    devs[0]!.clock.now = bob.clock.now + 5_000
    markConversation(docs[0]!, 'c1', 'unread', devs[0]!.author)
    ingestActivity(relay, activity('c4', { at: bob.clock.now + 1 }))
    sync(relay, docs[0]!)
    // The relay compacts; Bob's offline marks were never part of it.
    const { doc: epoch } = compactInbox(relay, {
      epoch: 'e1',
      historySince: bob.clock.now - 60_000,
      now: bob.clock.now,
    })
    // Bob adopts: takes the new epoch, replays what it lacks.
    const adopted = new Y.Doc()
    Y.applyUpdate(adopted, Y.encodeStateAsUpdate(epoch))
    const replayed = replayIntoEpoch(bobDoc, adopted, { memberId: 'bob', deviceId: 'b1' })
    // Bob's Done on c1 lost to Alice's later Unread, which the epoch already holds: not replayed.
    expect(replayed.marks).toBe(3)
    expect(replayed.history).toBe(4)
    sync(epoch, adopted)
    // The control never compacted: it merges Bob's old-epoch doc directly.
    sync(control, relay, docs[0]!, bobDoc)
    expect(states(epoch)).toEqual(states(control))
    expect(states(adopted)).toEqual(states(control))
    expect(getConversation(epoch, 'c1')).toMatchObject({ status: 'open', unread: true })
    expect(getConversation(epoch, 'c2')?.pinned).toBe(true)
    expect(getConversation(epoch, 'c3')?.assignee).toBe('bob')
    // [M4] the SMS Bob had not seen still leaves c4 unread.
    expect(getConversation(epoch, 'c4')?.unread).toBe(true)
    const bobsC1 = history(epoch, 'c1').filter((e) => e.deviceId === 'b1')
    expect(bobsC1.at(-1)?.kind).toBe('done')
  })

  it('[E3, M8] the replay passes the relay’s validation as the member’s own write', () => {
    const { relay, devs, docs } = busyInbox(5, 50, 3)
    const bob = devs[2]!
    bob.clock.now += 5_000
    markConversation(docs[2]!, 'c0', 'done', bob.author)
    const { doc: epoch } = compactInbox(relay, { epoch: 'e1', historySince: 0, now: T0 })
    const adopted = new Y.Doc()
    Y.applyUpdate(adopted, Y.encodeStateAsUpdate(epoch))
    const updates: Uint8Array[] = []
    adopted.on('update', (u: Uint8Array) => updates.push(u))
    replayIntoEpoch(docs[2]!, adopted, { memberId: 'bob', deviceId: 'b1' })
    expect(updates).toHaveLength(1)
    const check = validateUpdate(epoch, updates[0]!, {
      room,
      memberId: 'bob',
      now: bob.clock.now,
      maxDrift: 60_000,
    })
    expect(check).toEqual({ ok: true })
  })

  it('[E3] a replica that was in sync replays nothing', () => {
    const { relay, docs } = busyInbox(10, 200, 4)
    const { doc: epoch } = compactInbox(relay, { epoch: 'e1', historySince: 0, now: T0 })
    for (const [i, who] of [
      ['alice', 'a1'],
      ['alice', 'a2'],
      ['bob', 'b1'],
    ].entries()) {
      const adopted = new Y.Doc()
      Y.applyUpdate(adopted, Y.encodeStateAsUpdate(epoch))
      const r = replayIntoEpoch(docs[i]!, adopted, { memberId: who[0]!, deviceId: who[1]! })
      expect(r).toEqual({ marks: 0, history: 0, mentions: 0 })
    }
  })

  it('[E3] a replica two epochs behind adopts the newest directly', () => {
    const { relay, devs, docs } = busyInbox(10, 200, 5)
    const bob = devs[2]!
    bob.clock.now += 5_000
    markConversation(docs[2]!, 'c5', 'done', bob.author)
    const control = new Y.Doc()
    sync(relay, control)
    const e1 = compactInbox(relay, { epoch: 'e1', historySince: 0, now: T0 }).doc
    devs[0]!.clock.now = bob.clock.now + 1
    const aliceInE1 = new Y.Doc()
    Y.applyUpdate(aliceInE1, Y.encodeStateAsUpdate(e1))
    markConversation(aliceInE1, 'c6', 'done', devs[0]!.author)
    sync(e1, aliceInE1)
    markConversation(docs[0]!, 'c6', 'done', devs[0]!.author) // same intent in the control's world
    const e2 = compactInbox(e1, { epoch: 'e2', historySince: 0, now: T0 }).doc
    expect(epochOf(e2).previous).toBe('e1')
    const adopted = new Y.Doc()
    Y.applyUpdate(adopted, Y.encodeStateAsUpdate(e2))
    replayIntoEpoch(docs[2]!, adopted, { memberId: 'bob', deviceId: 'b1' })
    expect(getConversation(adopted, 'c5')?.status).toBe('done')
    expect(getConversation(adopted, 'c6')?.status).toBe('done')
  })

  it('[E3] a mention cleared offline is cleared in the new epoch; an uncleared copy never un-clears', () => {
    const relay = new Y.Doc()
    ingestActivity(relay, activity('c1'))
    addMention(relay, { memberId: 'bob', conversationId: 'c1', noteId: 'n1', by: 'alice', at: T0 })
    addMention(relay, { memberId: 'carol', conversationId: 'c1', noteId: 'n2', by: 'bob', at: T0 })
    const bobDoc = new Y.Doc()
    sync(relay, bobDoc)
    clearMention(bobDoc, 'n1.bob')
    clearMention(relay, 'n2.carol') // carol cleared the mention Bob wrote
    const epoch = compactInbox(relay, { epoch: 'e1', historySince: 0, now: T0 }).doc
    const r = replayIntoEpoch(bobDoc, epoch, { memberId: 'bob', deviceId: 'b1' })
    expect(r.mentions).toBe(1)
    expect(epoch.getMap('mentions').toJSON()).toMatchObject({
      'n1.bob': { cleared: true },
      'n2.carol': { cleared: true },
    })
  })
})
