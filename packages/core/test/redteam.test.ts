/**
 * Red-team review of update admission [M8]: crafted updates of a hostile member (Carol, with
 * client ids of her own) against a room as the relay runs it (gap hold, `admitUpdate`, apply,
 * tripwire, stored log). "fixed hole" tests are the holes this review found, each failing before
 * its fix in validate.ts (zero-length structs, structs waiting on each other, right neighbours
 * left of the origin, quota credit for values not deleted, base winners overwritten).
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  addMention,
  addNote,
  admitUpdate,
  appendActivity,
  compactInbox,
  contactRoots,
  conversationRoots,
  inboxRoots,
  markConversation,
  markKey,
  parseRoom,
  readMark,
  unpredictedDeletion,
  encodeMark,
  type Admitted,
  type Room,
  type UpdateContext,
} from '../src/index.ts'
import { craftUpdate, type CraftedDelete, type CraftedStruct } from '../src/testing/craft.ts'
import { rootValues } from '../src/testing/attack.ts'
import { activity, device, inboxWith, sync, T0 } from './helpers.ts'
import { formatTimestamp } from '../src/hlc.ts'

const C1 = 900_001
const C2 = 900_002
const ctx = (room: string, memberId = 'carol'): UpdateContext => ({
  room: parseRoom(room) as Room,
  memberId,
  now: T0 + 1_000,
  maxDrift: 60_000,
  deviceOwner: (d) =>
    ({ 'alice-web': 'alice', 'bob-phone': 'bob', 'carol-web': 'carol' })[d] ?? null,
})

/** A room as the relay keeps it: its document and the log of what it stored. */
interface Relay {
  doc: Y.Doc
  log: Uint8Array[]
}

function relayOf(doc: Y.Doc): Relay {
  return { doc, log: [Y.encodeStateAsUpdate(doc)] }
}

type Verdict =
  | { ok: false; code: string; message: string }
  | { ok: true; held: true }
  | (Admitted & { held?: false; unpredicted: string | null; threw: string | null })

/** What the relay does with a member's update (relay.ts `case 'update'`, room.ts `applyUpdate`). */
function send(relay: Relay, update: Uint8Array, context: UpdateContext): Verdict {
  const { doc } = relay
  const decoded = Y.decodeUpdate(update)
  const next = new Map<number, number>()
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) return { ok: true, held: true }
    const expected = next.get(s.id.client) ?? Y.getState(doc.store, s.id.client)
    if (s.id.clock > expected) return { ok: true, held: true }
    next.set(s.id.client, Math.max(expected, s.id.clock + s.length))
  }
  const admission = admitUpdate(doc, update, context, decoded)
  if (!admission.ok) return admission
  let deleted: Y.Transaction['deleteSet'] | null = null
  const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
  doc.on('afterTransaction', onAfter)
  let threw: string | null = null
  try {
    Y.applyUpdate(doc, admission.update)
  } catch (err) {
    threw = (err as Error).message
  } finally {
    doc.off('afterTransaction', onAfter)
  }
  const unpredicted = deleted ? unpredictedDeletion(admission, deleted) : null
  if (!threw && !unpredicted) relay.log.push(admission.update)
  return { ...admission, unpredicted, threw }
}

/** Replicas loaded from the stored log and from a snapshot, and whether anything is pending. */
function replicas(relay: Relay) {
  const fromLog = new Y.Doc()
  for (const u of relay.log) Y.applyUpdate(fromLog, u)
  const fromSnapshot = new Y.Doc()
  Y.applyUpdate(fromSnapshot, Y.encodeStateAsUpdate(relay.doc))
  return { fromLog, fromSnapshot }
}

function expectConsistent(relay: Relay) {
  const { fromLog, fromSnapshot } = replicas(relay)
  const values = rootValues(relay.doc)
  expect(rootValues(fromLog)).toEqual(values)
  expect(rootValues(fromSnapshot)).toEqual(values)
  for (const d of [relay.doc, fromLog, fromSnapshot]) {
    expect(d.store.pendingStructs).toBeNull()
    expect(d.store.pendingDs).toBeNull()
  }
}

function refusedOrHarmless(relay: Relay, update: Uint8Array, context: UpdateContext) {
  const before = rootValues(relay.doc)
  const verdict = send(relay, update, context)
  return { verdict, before, after: rootValues(relay.doc) }
}

/** An inbox with conversation c1, Alice's and Bob's marks and history entries, and mentions. */
function inboxRoom(): Relay {
  const { doc } = inboxWith('c1')
  const alice = new Y.Doc()
  alice.clientID = 100_001
  const bob = new Y.Doc()
  bob.clientID = 200_001
  sync(doc, alice, bob)
  markConversation(alice, 'c1', 'done', device('alice', 'alice-web').author)
  markConversation(bob, 'c1', 'open', device('bob', 'bob-phone').author)
  markConversation(alice, 'c1', 'unread', device('alice', 'alice-web', T0 + 5).author)
  addMention(alice, { memberId: 'bob', conversationId: 'c1', noteId: 'n1', by: 'alice', at: T0 })
  addMention(bob, { memberId: 'carol', conversationId: 'c1', noteId: 'n2', by: 'bob', at: T0 })
  sync(doc, alice, bob)
  return relayOf(doc)
}

function historyItems(doc: Y.Doc): Y.Item[] {
  const out: Y.Item[] = []
  for (let n = inboxRoots.history(doc)._start; n !== null; n = n.right) out.push(n)
  return out
}

function carolHistory(at = T0 + 100, counter = 0) {
  return {
    conversationId: 'c1',
    kind: 'done',
    memberId: 'carol',
    deviceId: 'carol-web',
    at: formatTimestamp({ wall: at, counter, device: 'carol-web' }),
    seen: 1,
  }
}

function carolMark(key: string, at = T0 + 100) {
  return encodeMark({
    kind: 'done',
    at: formatTimestamp({ wall: at, counter: 0, device: 'carol-web' }),
    by: 'carol',
    device: 'carol-web',
    seen: 0,
  })
}

describe('[M8] red team: holes', () => {
  it('[M8] fixed hole (d): two of Carol’s clients whose history items wait on each other (a right origin closes the cycle) stay pending in the room, its log and its snapshot', () => {
    const relay = inboxRoom()
    const last = historyItems(relay.doc).at(-1)!
    // A: after the last entry, before B. B: after A. resolve() follows origins only, so both
    // land in history; Yjs needs B to place A and A to place B: neither integrates.
    const update = craftUpdate([
      {
        client: C1,
        clock: 0,
        origin: last.lastId,
        rightOrigin: Y.createID(C2, 0),
        content: { any: [carolHistory()] },
      },
      { client: C2, clock: 0, origin: Y.createID(C1, 0), content: { any: [carolHistory()] } },
    ])
    const verdict = send(relay, update, ctx('inbox:pn1'))
    // Safe behaviour: refused (or held as unknown-parent). Today it is accepted.
    if (verdict.ok && !('held' in verdict && verdict.held)) {
      // The relay's Room.load refuses a log that leaves pending structs: the room is unreadable.
      const { fromLog } = replicas(relay)
      expect({
        relay: relay.doc.store.pendingStructs !== null,
        log: fromLog.store.pendingStructs !== null,
      }).toEqual({ relay: false, log: false })
    }
    expect(verdict.ok).toBe(false)
  })
})

describe('[M8] red team: quotas', () => {
  it('[M8] fixed hole (quota): deleted items that Yjs places before a key’s current value (explicit parent, a lower client id) are counted as freeing it; the contacts root grows past its 4 MiB quota', () => {
    const relay = relayOf(new Y.Doc())
    const big = (i: number) => `${i}`.padEnd(16_000, 'x')
    const keyOf = (i: number) => `+1555${String(i).padStart(7, '0')}\u001fnotes`
    // Carol fills the contacts under her client C2 (honest-looking writes, below the quota).
    const fill: CraftedStruct[] = []
    for (let i = 0; i < 250; i++)
      fill.push({
        client: C2,
        clock: i,
        parent: 'contacts',
        parentSub: keyOf(i),
        content: { any: [big(i)] },
      })
    expect(send(relay, craftUpdate(fill), ctx('contacts'))).toMatchObject({ ok: true })
    const quota = 4 * 1024 * 1024
    const bytes = () => {
      let n = 0
      contactRoots.fields(relay.doc).forEach((v, k) => (n += k.length + JSON.stringify(v).length))
      return n
    }
    expect(bytes()).toBeLessThan(quota)
    // Then: under client 7 (lower than C2), a deleted item at each full key with no origin (Yjs
    // puts it first in the key's chain and deletes it: the value stays), and 250 new full keys.
    const attack: CraftedStruct[] = []
    for (let i = 0; i < 250; i++)
      attack.push({
        client: 7,
        clock: i,
        parent: 'contacts',
        parentSub: keyOf(i),
        content: { deleted: 1 },
      })
    for (let i = 0; i < 250; i++)
      attack.push({
        client: 7,
        clock: 250 + i,
        parent: 'contacts',
        parentSub: keyOf(1000 + i),
        content: { any: [big(i)] },
      })
    const verdict = send(relay, craftUpdate(attack), ctx('contacts'))
    // Safe behaviour: refused as too-large, or the root stays within its quota.
    if (verdict.ok) expect(bytes()).toBeLessThanOrEqual(quota)
    else expect(verdict.code).toBe('too-large')
  })
})

describe('[M8] red team: list order', () => {
  it('[M8] fixed hole (c): a history item whose right origin lies left of its origin is integrated by arrival order: the relay, its log and its snapshot hold the history in different orders', () => {
    const { doc } = inboxWith('c1')
    const alice = new Y.Doc()
    alice.clientID = 500_000
    sync(doc, alice)
    for (let i = 0; i < 3; i++)
      markConversation(alice, 'c1', 'done', device('alice', 'alice-web', T0 + i).author)
    sync(doc, alice)
    const relay = relayOf(doc)
    // Alice's three history entries h0 h1 h2.
    const [h0, h1, h2] = historyItems(doc) as [Y.Item, Y.Item, Y.Item]
    const steps: CraftedStruct[] = [
      // After h1 and "before" h0: a right origin left of the origin.
      {
        client: 10,
        clock: 0,
        origin: h1.lastId,
        rightOrigin: h0.id,
        content: { any: [carolHistory(T0 + 1)] },
      },
      {
        client: 10,
        clock: 1,
        origin: h2.lastId,
        rightOrigin: Y.createID(10, 0),
        content: { any: [carolHistory(T0 + 2)] },
      },
      {
        client: C2,
        clock: 0,
        origin: null,
        rightOrigin: Y.createID(10, 0),
        content: { any: [carolHistory(T0 + 3)] },
      },
    ]
    for (const s of steps) {
      const verdict = send(relay, craftUpdate([s]), ctx('inbox:pn1'))
      // Safe behaviour: refused, or accepted with every replica agreeing.
      if (verdict.ok) expectConsistent(relay)
    }
  })
})

describe('[M8] red team: zero-length structs', () => {
  const key = markKey('c1', 'status', 'carol-web')
  const at = (clock: number, content: { any: unknown[] } | { deleted: number }): CraftedStruct => ({
    client: C1,
    clock,
    parent: 'marks',
    parentSub: key,
    content,
  })

  it('[M8] fixed hole (e): a deleted item of length 0 is admitted and Y.applyUpdate throws (the tripwire reloads the room, at every such frame)', () => {
    const relay = inboxRoom()
    const verdict = send(relay, craftUpdate([at(0, { deleted: 0 })]), ctx('inbox:pn1'))
    // Safe behaviour: refused before the apply.
    expect(verdict).toMatchObject({ ok: false })
  })

  it('[M8] fixed hole (e): an item of no values (`ContentAny([])`) is admitted and stored without moving the clock; the same struct sent again throws in Y.applyUpdate', () => {
    const relay = inboxRoom()
    const first = send(relay, craftUpdate([at(0, { any: [] })]), ctx('inbox:pn1'))
    expect(Y.getState(relay.doc.store, C1)).toBe(0)
    const again = send(relay, craftUpdate([at(0, { any: [] })]), ctx('inbox:pn1'))
    // Safe behaviour: both refused (a struct covers at least one clock).
    expect({
      first: first.ok,
      again: again.ok && 'threw' in again ? again.threw : again.ok,
    }).toEqual({
      first: false,
      again: false,
    })
  })

  it('[M8] fixed hole (c): an item of no values then a deleted item at the same clock: the relay holds a live key (value undefined) its snapshot lacks', () => {
    const relay = inboxRoom()
    const first = send(relay, craftUpdate([at(0, { any: [] })]), ctx('inbox:pn1'))
    const second = send(relay, craftUpdate([at(0, { deleted: 1 })]), ctx('inbox:pn1'))
    if (first.ok || second.ok) {
      const { fromSnapshot } = replicas(relay)
      expect(inboxRoots.marks(fromSnapshot).has(key)).toBe(inboxRoots.marks(relay.doc).has(key))
    }
    expect(first.ok).toBe(false)
  })
})

describe('[M8] red team: epoch base', () => {
  it('[M8] fixed hole (a): after an epoch, a lane winner stored only in meta.base is replaced by a value under its key, whose current (base) value is never checked', () => {
    const { doc: source } = inboxWith('c1')
    const legacy = new Y.Doc()
    sync(source, legacy)
    // Bob's mark under a device the relay has no binding for (written before bindings existed).
    markConversation(legacy, 'c1', 'done', device('bob', 'bob-old').author)
    sync(source, legacy)
    const { doc } = compactInbox(source, { epoch: 'e1', historySince: T0, now: T0 })
    const relay = relayOf(doc)
    const key = markKey('c1', 'status', 'bob-old')
    expect(inboxRoots.marks(doc).has(key)).toBe(false)
    const forged = encodeMark({
      kind: 'open',
      at: formatTimestamp({ wall: T0 + 100, counter: 0, device: 'bob-old' }),
      by: 'carol',
      device: 'bob-old',
      seen: 0,
    })
    const verdict = send(
      relay,
      craftUpdate([
        { client: C1, clock: 0, parent: 'marks', parentSub: key, content: { any: [forged] } },
      ]),
      ctx('inbox:pn1'),
    )
    if (verdict.ok) expect(readMark(relay.doc, key)?.by).toBe('bob')
    // Without the epoch the same write is refused: Bob's live value is checked as a deletion.
    expect(verdict).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('[M8] red team: refused or harmless', () => {
  const inbox = ctx('inbox:pn1')

  it('origins only, in a cycle between two of Carol’s clients: refused', () => {
    const relay = inboxRoom()
    const update = craftUpdate([
      { client: C1, clock: 0, origin: Y.createID(C2, 0), content: { deleted: 1 } },
      { client: C2, clock: 0, origin: Y.createID(C1, 0), content: { deleted: 1 } },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: false, code: 'malformed' })
  })

  it('a value list whose first value is forged for another member, under Carol’s own key: refused', () => {
    const relay = inboxRoom()
    const key = markKey('c1', 'status', 'carol-web')
    const forged = encodeMark({
      kind: 'done',
      at: formatTimestamp({ wall: T0, counter: 0, device: 'carol-web' }),
      by: 'alice',
      device: 'carol-web',
      seen: 0,
    })
    const update = craftUpdate([
      {
        client: C1,
        clock: 0,
        parent: 'marks',
        parentSub: key,
        content: { any: [forged, carolMark(key)] },
      },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('origins into Alice’s mark key (its current value, an old overwritten item): refused', () => {
    const relay = inboxRoom()
    const key = markKey('c1', 'status', 'alice-web')
    const chain: Y.Item[] = []
    for (let n = inboxRoots.marks(relay.doc)._map.get(key)!; n; n = n.left!) {
      chain.push(n)
      if (!n.left) break
    }
    expect(chain.length).toBeGreaterThan(1)
    for (const target of chain) {
      const update = craftUpdate([
        { client: C1, clock: 0, origin: target.id, content: { deleted: 1 } },
      ])
      expect(send(relay, update, inbox)).toMatchObject({ ok: false })
    }
    const { before, after } = refusedOrHarmless(
      relay,
      craftUpdate([
        { client: C1, clock: 0, origin: chain.at(-1)!.id, content: { any: [carolMark(key)] } },
      ]),
      inbox,
    )
    expect(after).toEqual(before)
  })

  it('a delete set over Carol’s new item and Alice’s history entry: refused; over her own new items only: accepted, consistent', () => {
    const relay = inboxRoom()
    const h = historyItems(relay.doc)
    const last = h.at(-1)!
    const mine = { client: C1, clock: 0, origin: last.lastId, content: { any: [carolHistory()] } }
    const spanning: CraftedDelete[] = [
      [C1, 0, 1],
      [last.id.client, last.id.clock, 1],
    ]
    expect(send(relay, craftUpdate([mine], spanning), inbox)).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
    // A mark of hers with two values, its first deleted by the same update (Yjs splits it).
    const key = markKey('c1', 'status', 'carol-web')
    const two = craftUpdate(
      [
        {
          client: C1,
          clock: 0,
          parent: 'marks',
          parentSub: key,
          content: { any: [carolMark(key), carolMark(key, T0 + 200)] },
        },
      ],
      [[C1, 0, 1]],
    )
    expect(send(relay, two, inbox)).toMatchObject({ ok: true, unpredicted: null, threw: null })
    expectConsistent(relay)
    // Then its last value deleted, and an item after the split's first part.
    expect(send(relay, craftUpdate([], [[C1, 1, 1]]), inbox)).toMatchObject({ ok: true })
    expect(
      send(
        relay,
        craftUpdate([
          {
            client: C2,
            clock: 0,
            origin: Y.createID(C1, 0),
            content: { any: [carolMark(key, T0 + 300)] },
          },
        ]),
        inbox,
      ),
    ).toMatchObject({ ok: true, unpredicted: null })
    expectConsistent(relay)
  })

  it('an item after C2’s item in the same update, where C2’s item declares a relay-only root: refused', () => {
    const relay = inboxRoom()
    const update = craftUpdate([
      { client: C2, clock: 0, parent: 'meta', parentSub: 'epoch', content: { deleted: 1 } },
      { client: C1, clock: 0, origin: Y.createID(C2, 0), content: { any: ['x'] } },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('a deleted item after an old item of a conversation record’s key: refused', () => {
    const relay = inboxRoom()
    const record = inboxRoots.conversations(relay.doc)._map.get('c1')!
    const update = craftUpdate([
      { client: C1, clock: 0, origin: record.id, content: { deleted: 3 } },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('clocks at the edge of 2^53: a first struct there is held as a gap, a delete range past the clock refused', () => {
    const relay = inboxRoom()
    const key = markKey('c1', 'status', 'carol-web')
    const clock = Number.MAX_SAFE_INTEGER - 1
    // A client's first struct at that clock would be held as a gap; a new client starts at 0.
    const update = craftUpdate([
      { client: C1, clock, parent: 'marks', parentSub: key, content: { any: [carolMark(key)] } },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: true, held: true })
    const far = craftUpdate([], [[C1, clock, 2]])
    expect(send(relay, far, inbox)).toMatchObject({ ok: false })
  })

  it('a mention of Carol by Bob: she may overwrite it with her own mention (of Alice) under the same id — accepted, and nobody else’s mention changes', () => {
    const relay = inboxRoom()
    const mentions = inboxRoots.mentions(relay.doc)
    const [id, mention] = [...mentions.entries()].find(([, m]) => m.memberId === 'carol')!
    const update = craftUpdate([
      {
        client: C1,
        clock: 0,
        origin: mentions._map.get(id)!.lastId,
        content: { any: [{ ...mention, by: 'carol', memberId: 'alice', cleared: false }] },
      },
    ])
    expect(send(relay, update, inbox)).toMatchObject({ ok: true, unpredicted: null })
    const other = [...mentions.values()].find((m) => m.memberId === 'bob')!
    expect(other.by).toBe('alice')
    expectConsistent(relay)
  })

  it('honest append after Carol’s deleted history item at the end (its right origin is that item): accepted', () => {
    const relay = inboxRoom()
    const last = historyItems(relay.doc).at(-1)!
    expect(
      send(
        relay,
        craftUpdate([{ client: C1, clock: 0, origin: last.lastId, content: { deleted: 2 } }]),
        inbox,
      ),
    ).toMatchObject({ ok: true })
    const alice = new Y.Doc()
    Y.applyUpdate(alice, Y.encodeStateAsUpdate(relay.doc))
    const updates: Uint8Array[] = []
    alice.on('update', (u: Uint8Array) => updates.push(u))
    markConversation(alice, 'c1', 'open', device('alice', 'alice-web', T0 + 50).author)
    expect(send(relay, Y.mergeUpdates(updates), ctx('inbox:pn1', 'alice'))).toMatchObject({
      ok: true,
      unpredicted: null,
    })
    expectConsistent(relay)
  })

  it('a deleted item with an origin in the middle of Carol’s own multi-value note: lands in her key (split), Alice’s note stays, replicas agree', () => {
    const doc = new Y.Doc()
    for (let i = 0; i < 3; i++) appendActivity(doc, activity('c1', { id: `a${i}` }))
    const alice = new Y.Doc()
    sync(doc, alice)
    addNote(alice, { author: 'alice', body: 'call back', mentions: [], id: 'n-alice', at: T0 })
    sync(doc, alice)
    const relay = relayOf(doc)
    const note = (body: string) => ({ id: 'n-carol', author: 'carol', body, mentions: [], at: T0 })
    expect(
      send(
        relay,
        craftUpdate([
          {
            client: C1,
            clock: 0,
            parent: 'notes',
            parentSub: 'n-carol',
            content: { any: [note('a'), note('b'), note('c')] },
          },
        ]),
        ctx('conversation:c1'),
      ),
    ).toMatchObject({ ok: true })
    const mid = craftUpdate([
      { client: C2, clock: 0, origin: Y.createID(C1, 1), content: { deleted: 1 } },
    ])
    expect(send(relay, mid, ctx('conversation:c1'))).toMatchObject({ ok: true, unpredicted: null })
    expect(conversationRoots.notes(relay.doc).get('n-alice')!.body).toBe('call back')
    expectConsistent(relay)
  })
})
