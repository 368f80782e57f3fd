import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  assignConversation,
  getConversation,
  ingestActivity,
  inboxRoots,
  markConversation,
  markKey,
  parseMarkKey,
  readMark,
  pinConversation,
  SEP,
} from '../src/index.ts'
import { activity, device, inboxWith, sync, T0 } from './helpers.ts'

/** The relay (which ingests) and two teammates' replicas, all in sync. */
function team() {
  const { doc: relay, first } = inboxWith('c1')
  const alice = new Y.Doc()
  const bob = new Y.Doc()
  sync(relay, alice, bob)
  return { relay, alice, bob, first }
}

describe('merge rules', () => {
  it('[M1] Done writes the status and flag lanes under its own device key, with one timestamp', () => {
    const { doc } = inboxWith()
    const entry = markConversation(doc, 'c1', 'done', device('alice', 'alice-web').author)
    const marks = inboxRoots.marks(doc).toJSON()
    expect(Object.keys(marks).sort()).toEqual([
      `c1${SEP}flag${SEP}alice-web`,
      `c1${SEP}status${SEP}alice-web`,
    ])
    expect(readMark(doc, markKey('c1', 'status', 'alice-web'))).toEqual(entry)
    expect(readMark(doc, markKey('c1', 'flag', 'alice-web'))).toEqual(entry)
    expect(entry).toMatchObject({ kind: 'done', by: 'alice', device: 'alice-web', seen: 1 })
    expect(parseMarkKey(markKey('c1', 'flag', 'alice-web'))).toEqual({
      conversationId: 'c1',
      lane: 'flag',
      deviceId: 'alice-web',
    })
    expect(parseMarkKey(`c1${SEP}nope${SEP}d`)).toBeNull()
  })

  it('[M1] Read writes only the flag lane; marks never touch `conversations`', () => {
    const { doc } = inboxWith()
    const before = JSON.stringify(inboxRoots.conversations(doc).toJSON())
    markConversation(doc, 'c1', 'read', device('alice', 'alice-web').author)
    expect(Object.keys(inboxRoots.marks(doc).toJSON())).toEqual([
      markKey('c1', 'flag', 'alice-web'),
    ])
    expect(JSON.stringify(inboxRoots.conversations(doc).toJSON())).toBe(before)
  })

  it('[M2] concurrent marks resolve by HLC, whatever the delivery order', () => {
    for (const order of [0, 1]) {
      const { alice, bob } = team()
      markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0 + 2_000).author)
      markConversation(bob, 'c1', 'unread', device('bob', 'bob-phone', T0 + 1_000).author)
      const [x, y] = order ? [alice, bob] : [bob, alice]
      sync(x, y)
      expect(getConversation(alice, 'c1')).toMatchObject({ status: 'done', unread: false })
      expect(getConversation(bob, 'c1')).toEqual(getConversation(alice, 'c1'))
      expect(getConversation(bob, 'c1')?.decidedBy).toMatchObject({
        memberId: 'alice',
        kind: 'done',
      })
    }
  })

  it('[M2] equal wall and counter fall to the device id, never the Yjs clientID', () => {
    for (const clientIDs of [
      [1, 2],
      [2, 1],
    ]) {
      const { alice, bob } = team()
      alice.clientID = clientIDs[0]!
      bob.clientID = clientIDs[1]!
      markConversation(alice, 'c1', 'done', device('alice', 'dev-a', T0).author)
      markConversation(bob, 'c1', 'open', device('bob', 'dev-b', T0).author)
      sync(alice, bob)
      expect(getConversation(alice, 'c1')?.decidedBy?.deviceId).toBe('dev-b')
      expect(getConversation(bob, 'c1')).toMatchObject({ status: 'open' })
    }
  })

  it('[M3] a mark made after seeing another sorts after it even when the author’s clock runs behind', () => {
    const { alice, bob } = team()
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0 + 59_000).author)
    sync(alice, bob)
    const late = device('bob', 'bob-phone', T0) // 59 s behind, within maxDrift
    markConversation(bob, 'c1', 'open', late.author)
    sync(alice, bob)
    expect(getConversation(alice, 'c1')).toMatchObject({ status: 'open', unread: false })
    expect(getConversation(alice, 'c1')?.decidedBy?.memberId).toBe('bob')
  })

  it('[M3][M6] a mark seen in the document lifts the clock even from beyond maxDrift behind', () => {
    const { alice, bob } = team()
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0 + 300_000).author)
    sync(alice, bob)
    markConversation(bob, 'c1', 'open', device('bob', 'bob-phone', T0).author) // 5 min behind
    sync(alice, bob)
    expect(getConversation(alice, 'c1')?.decidedBy?.memberId).toBe('bob')
    expect(getConversation(bob, 'c1')).toMatchObject({ status: 'open' })
  })

  it('[M4] Bob marks Done offline while a new SMS arrives: the SMS reopens it, whatever the clocks say', () => {
    const { relay, bob } = team()
    const sms = activity('c1')
    ingestActivity(relay, sms) // Bob is offline and has not seen it
    markConversation(bob, 'c1', 'done', device('bob', 'bob-phone', T0 + 3_600_000).author)
    sync(relay, bob)
    const c = getConversation(bob, 'c1')
    expect(c).toMatchObject({ status: 'open', unread: true, reopenedBy: sms.id })
    expect(c?.decidedBy).toMatchObject({ memberId: 'bob', kind: 'done' })
    expect(getConversation(relay, 'c1')).toEqual(c)
  })

  it('[M4] a Done made after seeing the SMS sticks; reopenedBy is null', () => {
    const { relay, bob } = team()
    ingestActivity(relay, activity('c1'))
    sync(relay, bob)
    markConversation(bob, 'c1', 'done', device('bob', 'bob-phone').author)
    sync(relay, bob)
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'done', reopenedBy: null })
  })

  it('[M4] a Read by someone who saw the SMS after the reopening counts: Open and read', () => {
    const { relay, alice, bob } = team()
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web').author)
    sync(relay, alice)
    ingestActivity(relay, activity('c1'))
    sync(relay, bob)
    markConversation(bob, 'c1', 'read', device('bob', 'bob-phone', T0 + 1_000).author)
    sync(relay, alice, bob)
    expect(getConversation(alice, 'c1')).toMatchObject({
      status: 'open',
      unread: false,
      reopenedBy: null,
    })
  })

  it('[M4] regression: a Read by an author who had not seen the SMS wins the flag but cannot leave it Done + Unread', () => {
    const { relay, alice, bob } = team()
    const sms = activity('c1')
    ingestActivity(relay, sms)
    sync(relay, alice) // Alice sees the SMS and marks Done; Bob, offline, reads the old thread later
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0).author)
    markConversation(bob, 'c1', 'read', device('bob', 'bob-phone', T0 + 5_000).author)
    sync(relay, alice, bob)
    const c = getConversation(relay, 'c1')
    expect(c?.decidedBy).toMatchObject({ memberId: 'bob', kind: 'read' })
    expect(c).toMatchObject({ status: 'open', unread: true, reopenedBy: sms.id })
  })

  it('[M5] a pin, an assignment and a state mark made concurrently all survive', () => {
    const { relay, alice, bob } = team()
    const carol = new Y.Doc()
    sync(relay, carol)
    pinConversation(alice, 'c1', device('alice', 'alice-web', T0 + 9_000).author)
    assignConversation(bob, 'c1', 'dan', device('bob', 'bob-phone', T0).author)
    markConversation(carol, 'c1', 'done', device('carol', 'carol-web', T0 + 1).author)
    sync(relay, alice, bob, carol)
    for (const doc of [relay, alice, bob, carol])
      expect(getConversation(doc, 'c1')).toMatchObject({
        pinned: true,
        assignee: 'dan',
        status: 'done',
        unread: false,
      })
  })

  it('[M5] marks on different conversations never interfere', () => {
    const { relay, alice, bob } = team()
    ingestActivity(relay, activity('c2'))
    sync(relay, alice, bob)
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0 + 10_000).author)
    markConversation(bob, 'c2', 'read', device('bob', 'bob-phone', T0).author)
    sync(relay, alice, bob)
    expect(getConversation(relay, 'c1')).toMatchObject({ status: 'done', unread: false })
    expect(getConversation(relay, 'c2')).toMatchObject({ status: 'open', unread: false })
  })

  it('[M7] a replica restarted from its encoded state derives the same conversations and keeps marking', () => {
    const { relay, alice } = team()
    const a = device('alice', 'alice-web', T0 + 10_000)
    markConversation(alice, 'c1', 'done', a.author)
    pinConversation(alice, 'c1', a.author)
    const restarted = new Y.Doc()
    Y.applyUpdate(restarted, Y.encodeStateAsUpdate(alice))
    expect(getConversation(restarted, 'c1')).toEqual(getConversation(alice, 'c1'))
    markConversation(restarted, 'c1', 'unread', device('alice', 'alice-web', T0).author)
    sync(relay, restarted)
    expect(getConversation(relay, 'c1')).toMatchObject({
      status: 'open',
      unread: true,
      pinned: true,
    })
  })

  it('[M7] marks made before the conversation reaches a replica apply once it arrives', () => {
    const relay = new Y.Doc()
    const alice = new Y.Doc()
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web').author)
    pinConversation(alice, 'c1', device('alice', 'alice-web').author)
    expect(getConversation(alice, 'c1')).toBeNull()
    ingestActivity(relay, activity('c1'))
    sync(relay, alice)
    // The Done had seen nothing, so the incoming message still shows (P3); the pin stands.
    expect(getConversation(alice, 'c1')).toMatchObject({
      status: 'open',
      unread: true,
      pinned: true,
    })
  })
})
