/**
 * The crafted updates of issue 20, each refused by admission [M8]; and the honest updates that
 * look like them, still accepted. The adversarial fuzz is in attack-fuzz.test.ts.
 */
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  addNote,
  admitUpdate,
  appendActivity,
  compactInbox,
  conversationRoots,
  getConversation,
  inboxRoots,
  markConversation,
  markKey,
  parseRoom,
  unpredictedDeletion,
  updateContact,
  type Admitted,
  type Room,
  type UpdateContext,
} from '../src/index.ts'
import { craftUpdate } from '../src/testing/craft.ts'
import { rootValues } from '../src/testing/attack.ts'
import { activity, device, inboxWith, sync, T0 } from './helpers.ts'

const CAROL = 900_001
const ctx = (room: string, memberId = 'carol'): UpdateContext => ({
  room: parseRoom(room) as Room,
  memberId,
  now: T0,
  maxDrift: 60_000,
  deviceOwner: (d) => ({ 'alice-web': 'alice', 'bob-phone': 'bob' })[d] ?? null,
})

/** Admits and applies as the relay does; returns the verdict and whether the tripwire held. */
function send(doc: Y.Doc, update: Uint8Array, context: UpdateContext) {
  const admission = admitUpdate(doc, update, context)
  if (!admission.ok) return admission
  let deleted: Y.Transaction['deleteSet'] | null = null
  const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
  doc.on('afterTransaction', onAfter)
  Y.applyUpdate(doc, admission.update)
  doc.off('afterTransaction', onAfter)
  const unpredicted = deleted ? unpredictedDeletion(admission as Admitted, deleted) : null
  return { ...admission, unpredicted }
}

function conversationRoom() {
  const doc = new Y.Doc()
  for (let i = 0; i < 5; i++) appendActivity(doc, activity('c1', { id: `a${i}` }))
  const alice = new Y.Doc()
  sync(doc, alice)
  addNote(alice, { author: 'alice', body: 'call back', mentions: [], id: 'n-alice', at: T0 })
  sync(doc, alice)
  return doc
}

/** A ContentDeleted item after the current value of each key of `root`, delete set stripped. */
function eraseKeys(doc: Y.Doc, root: string, keys: string[], client = CAROL): Uint8Array {
  const type = doc.share.get(root)!
  return craftUpdate(
    keys.map((key, i) => ({
      client,
      clock: Y.getState(doc.store, client) + i,
      origin: type._map.get(key)!.lastId,
      content: { deleted: 1 },
    })),
  )
}

describe('[M8] crafted updates are judged by what Yjs will do with them', () => {
  it("[M8] a deleted item over each key of a conversation's relay-only activities is refused; the 5 messages stay", () => {
    const doc = conversationRoom()
    const before = rootValues(doc)
    const keys = [...conversationRoots.activities(doc).keys()]
    expect(keys).toHaveLength(5)
    const verdict = send(doc, eraseKeys(doc, 'activities', keys), ctx('conversation:c1'))
    expect(verdict).toMatchObject({ ok: false, code: 'forbidden' })
    expect(rootValues(doc)).toEqual(before)
  })

  it('[M8] the same trick on an inbox room cannot delete a conversation record', () => {
    const { doc } = inboxWith('c1')
    const verdict = send(doc, eraseKeys(doc, 'conversations', ['c1']), ctx('inbox:pn1'))
    expect(verdict).toMatchObject({ ok: false, code: 'forbidden' })
    expect(getConversation(doc, 'c1')).not.toBeNull()
  })

  it("[M8] nor another member's mark (a deleted item after it, or a value of Carol's under its key)", () => {
    const { doc } = inboxWith('c1')
    const alice = new Y.Doc()
    sync(doc, alice)
    markConversation(alice, 'c1', 'done', device('alice', 'alice-web').author)
    sync(doc, alice)
    const key = markKey('c1', 'status', 'alice-web')
    expect(send(doc, eraseKeys(doc, 'marks', [key]), ctx('inbox:pn1'))).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
    expect(getConversation(doc, 'c1')!.status).toBe('done')
  })

  it("[M8] a note of Carol's written over Alice's note key (explicit parent, no origin) is refused", () => {
    const doc = conversationRoom()
    const forged = craftUpdate([
      {
        client: CAROL,
        clock: 0,
        parent: 'notes',
        parentSub: 'n-alice',
        content: {
          any: [{ id: 'n-alice', author: 'carol', body: 'forged', mentions: [], at: T0 }],
        },
      },
    ])
    expect(send(doc, forged, ctx('conversation:c1'))).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
    expect(conversationRoots.notes(doc).get('n-alice')!.body).toBe('call back')
  })

  it('[M8][E6] after an epoch, a member cannot erase meta.base or meta.baseLog', () => {
    const { doc: source } = inboxWith('c1')
    const { doc } = compactInbox(source, { epoch: 'e1', historySince: T0, now: T0 })
    const base = inboxRoots.meta(doc).get('base')
    expect(typeof base).toBe('string')
    const verdict = send(doc, eraseKeys(doc, 'meta', ['base', 'baseLog']), ctx('inbox:pn1'))
    expect(verdict).toMatchObject({ ok: false, code: 'forbidden' })
    expect(inboxRoots.meta(doc).get('base')).toBe(base)
  })

  it("[M8] a struct overlapping Carol's own clock range is cut to what Yjs integrates: it lands after her own struct, Alice's note stays, and a replica from the stored state agrees", () => {
    const doc = conversationRoom()
    const own = craftUpdate([
      {
        client: CAROL,
        clock: 0,
        parent: 'notes',
        parentSub: 'n-carol',
        content: { any: [{ id: 'n-carol', author: 'carol', body: 'mine', mentions: [], at: T0 }] },
      },
    ])
    expect(send(doc, own, ctx('conversation:c1'))).toMatchObject({ ok: true })
    // Clocks 0–1, declared after Alice's note: Yjs would integrate clock 1 after Carol's clock 0
    // but under the parent of Alice's note, deleting it on the relay and not on a fresh replica.
    const alice = conversationRoots.notes(doc)._map.get('n-alice')!
    const overlap = craftUpdate([
      { client: CAROL, clock: 0, origin: alice.lastId, content: { deleted: 2 } },
    ])
    // Cut to clock 1 after Carol's own note: it removes her note, nothing of Alice's.
    expect(send(doc, overlap, ctx('conversation:c1'))).toMatchObject({
      ok: true,
      trimmed: true,
      unpredicted: null,
    })
    expect(conversationRoots.notes(doc).has('n-carol')).toBe(false)
    expect(conversationRoots.notes(doc).get('n-alice')!.body).toBe('call back')
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc))
    expect(rootValues(fresh)).toEqual(rootValues(doc))
  })

  it('[M8] garbage-collected structs, and items attached to one, are refused; the apply never breaks off', () => {
    const doc = conversationRoom()
    const gc = craftUpdate([{ kind: 'gc', client: CAROL, clock: 0, length: 2 }])
    expect(send(doc, gc, ctx('conversation:c1'))).toMatchObject({ ok: false, code: 'schema' })
    // A room that holds one (stored before this check existed) refuses items built on it.
    Y.applyUpdate(doc, gc)
    const attached = craftUpdate([
      { client: CAROL, clock: 2, origin: Y.createID(CAROL, 1), content: { deleted: 1 } },
    ])
    expect(send(doc, attached, ctx('conversation:c1'))).toMatchObject({ ok: false, code: 'schema' })
  })

  it('[M8] a deleted-content item cannot create a new root', () => {
    const doc = conversationRoom()
    const root = craftUpdate([
      { client: CAROL, clock: 0, parent: 'anything', parentSub: 'k', content: { deleted: 1 } },
    ])
    expect(send(doc, root, ctx('conversation:c1'))).toMatchObject({ ok: false, code: 'forbidden' })
    expect(doc.share.has('anything')).toBe(false)
  })

  it('[M8] a mark for a conversation the room does not hold is refused (unknown-conversation)', () => {
    const { doc } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(doc, replica)
    const updates: Uint8Array[] = []
    replica.on('update', (u: Uint8Array) => updates.push(u))
    markConversation(replica, 'c9', 'done', device('carol', 'carol-web').author)
    expect(send(doc, Y.mergeUpdates(updates), ctx('inbox:pn1'))).toMatchObject({
      ok: false,
      code: 'unknown-conversation',
    })
  })

  it('[M8] items with a right neighbour in a map are refused (replicas would place them apart)', () => {
    const doc = conversationRoom()
    const alice = conversationRoots.notes(doc)._map.get('n-alice')!
    const update = craftUpdate([
      {
        client: CAROL,
        clock: 0,
        origin: alice.lastId,
        rightOrigin: alice.id,
        content: { deleted: 1 },
      },
    ])
    expect(send(doc, update, ctx('conversation:c1'))).toMatchObject({ ok: false, code: 'schema' })
  })
})

describe('[M8] per-root quotas', () => {
  it("[M8] the team's contacts hold at most 4 MiB: a member filling them is refused (too-large) with a clear reason; shrinking stays accepted", () => {
    const doc = new Y.Doc()
    const replica = new Y.Doc()
    const updates: Uint8Array[] = []
    replica.on('update', (u: Uint8Array) => updates.push(u))
    let refused: unknown = null
    let stored = 0
    for (let i = 0; i < 400 && !refused; i++) {
      // Contact fields (notes are a text of their own, capped apart [C3]).
      updateContact(replica, `+1555${String(i).padStart(7, '0')}`, {
        properties: { bio: 'n'.repeat(15_000) },
      })
      const verdict = send(doc, updates.splice(0)[0]!, ctx('contacts'))
      if (verdict.ok) stored++
      else refused = verdict
    }
    expect(refused).toMatchObject({ ok: false, code: 'too-large' })
    expect((refused as { message: string }).message).toMatch(
      /contacts would hold more than its quota of 4194304 bytes/,
    )
    expect(stored).toBeGreaterThan(250)
    // The refused write is undone locally by the client's recovery; a shorter value frees room.
    const fresh = new Y.Doc()
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc))
    const after: Uint8Array[] = []
    fresh.on('update', (u: Uint8Array) => after.push(u))
    updateContact(fresh, '+15550000000', { properties: { bio: 'short' } })
    expect(send(doc, after[0]!, ctx('contacts'))).toMatchObject({ ok: true })
  })
})

describe('[M8] honest updates that look like attacks stay accepted', () => {
  it('[M8] a replica that marked one conversation 500 times offline: its overwritten marks arrive as deleted content, accepted in one update', () => {
    const { doc } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(doc, replica)
    const updates: Uint8Array[] = []
    replica.on('update', (u: Uint8Array) => updates.push(u))
    const { author } = device('carol', 'carol-web')
    for (let i = 0; i < 500; i++) markConversation(replica, 'c1', i % 2 ? 'done' : 'open', author)
    const offline = Y.encodeStateAsUpdate(replica, Y.encodeStateVector(doc))
    const decoded = Y.decodeUpdate(offline)
    expect(
      decoded.structs.some((s) => s instanceof Y.Item && s.content instanceof Y.ContentDeleted),
    ).toBe(true)
    const verdict = send(doc, offline, ctx('inbox:pn1'))
    expect(verdict).toMatchObject({ ok: true, unpredicted: null })
    expect(getConversation(doc, 'c1')!.status).toBe('done')
    // Sent again, merged with what was sent live: the parts the room holds are cut away.
    const again = send(doc, Y.mergeUpdates(updates), ctx('inbox:pn1'))
    expect(again).toMatchObject({ ok: true, trimmed: true, unpredicted: null })
  })

  it("[M8] overwriting one's own mark and clearing a mention of oneself stay accepted, and the tripwire sees only predicted deletions", () => {
    const { doc } = inboxWith('c1')
    const replica = new Y.Doc()
    sync(doc, replica)
    const { author } = device('carol', 'carol-web')
    for (const kind of ['done', 'open', 'unread'] as const) {
      const updates: Uint8Array[] = []
      const on = (u: Uint8Array) => updates.push(u)
      replica.on('update', on)
      markConversation(replica, 'c1', kind, author)
      replica.off('update', on)
      expect(send(doc, Y.mergeUpdates(updates), ctx('inbox:pn1'))).toMatchObject({
        ok: true,
        unpredicted: null,
      })
    }
  })
})
