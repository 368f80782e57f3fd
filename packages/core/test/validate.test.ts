import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  addMention,
  addNote,
  checkActivity,
  clearMention,
  formatTimestamp,
  inboxRoots,
  markConversation,
  markKey,
  parseRoom,
  pinConversation,
  setMember,
  updateContact,
  validateUpdate,
  type MarkEntry,
  type Room,
  type UpdateContext,
} from '../src/index.ts'
import { activity, device, inboxWith, recordUpdates, sync, T0 } from './helpers.ts'

const inbox = parseRoom('inbox:pn1') as Room
const ctx = (memberId: string, extra: Partial<UpdateContext> = {}): UpdateContext => ({
  room: inbox,
  memberId,
  now: T0,
  maxDrift: 60_000,
  ...extra,
})

/** The relay's doc and a member's replica of it; returns the member's next update. */
function setup() {
  const { doc: relay } = inboxWith('c1')
  const replica = new Y.Doc()
  sync(relay, replica)
  const updates = recordUpdates(replica)
  const last = () => Y.mergeUpdates(updates.splice(0))
  return { relay, replica, last }
}

describe('[M8] validateUpdate', () => {
  it("[M8] accepts a member's own mark, pin and history entry", () => {
    const { relay, replica, last } = setup()
    markConversation(replica, 'c1', 'done', device('alice', 'alice-web').author)
    const mark = last()
    expect(validateUpdate(relay, mark, ctx('alice'))).toEqual({ ok: true })
    Y.applyUpdate(relay, mark)
    pinConversation(replica, 'c1', device('alice', 'alice-web').author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toEqual({ ok: true })
  })

  it('[M8] accepts a member overwriting their own earlier mark once the relay has it', () => {
    const { relay, replica, last } = setup()
    const { author } = device('alice', 'alice-web')
    markConversation(replica, 'c1', 'done', author)
    const first = last()
    expect(validateUpdate(relay, first, ctx('alice'))).toEqual({ ok: true })
    Y.applyUpdate(relay, first)
    markConversation(replica, 'c1', 'open', author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toEqual({ ok: true })
  })

  it('[M8] rejects a mark whose `by` is another member (forbidden)', () => {
    const { relay, replica, last } = setup()
    markConversation(replica, 'c1', 'done', device('bob', 'bob-phone').author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
  })

  it('[M8][M6] rejects a timestamp further than maxDrift ahead of the relay (clock-drift)', () => {
    const { relay, replica, last } = setup()
    markConversation(replica, 'c1', 'done', device('alice', 'alice-web', T0 + 60_001).author)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({
      ok: false,
      code: 'clock-drift',
    })
    const other = setup()
    markConversation(other.replica, 'c1', 'done', device('alice', 'alice-web', T0 + 60_000).author)
    expect(validateUpdate(other.relay, other.last(), ctx('alice'))).toEqual({ ok: true })
  })

  it('[M8] rejects a mark whose device differs from its key or timestamp (schema)', () => {
    const { relay, replica, last } = setup()
    const at = formatTimestamp({ wall: T0, counter: 0, device: 'alice-web' })
    const entry: MarkEntry = { kind: 'done', at, by: 'alice', device: 'alice-web', seen: 1 }
    inboxRoots.marks(replica).set(markKey('c1', 'status', 'alice-phone'), entry)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'schema' })
    inboxRoots.marks(replica).set(markKey('c1', 'status', 'alice-web'), { ...entry, kind: 'pin' })
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'schema' })
    inboxRoots.marks(replica).set('not-a-mark-key', entry)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'schema' })
  })

  it('[M1][M8] rejects a member writing `conversations` (only the relay ingests)', () => {
    const { relay, replica, last } = setup()
    inboxRoots.conversations(replica).set('c9', {
      id: 'c9',
      phoneNumberId: 'pn1',
      participants: [],
      contactName: null,
      createdAt: T0,
      last: null,
      incoming: null,
      recent: [],
    })
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'forbidden' })
  })

  it('[M8] rejects nested shared types and unknown roots', () => {
    const { relay, replica, last } = setup()
    inboxRoots.marks(replica).set(markKey('c1', 'pin', 'alice-web'), new Y.Map() as never)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'schema' })
    replica.getArray('elsewhere').push([1])
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'forbidden' })
  })

  it('[M8] rejects any write to the workspace room (read-only for members)', () => {
    const relay = new Y.Doc()
    const replica = new Y.Doc()
    const updates = recordUpdates(replica)
    setMember(replica, { id: 'alice', email: 'a@example.com', name: 'Alice', role: 'owner' })
    const check = validateUpdate(relay, updates[0]!, {
      ...ctx('alice'),
      room: parseRoom('workspace') as Room,
    })
    expect(check).toMatchObject({ ok: false, code: 'read-only' })
  })

  it("[M8] rejects deleting another member's mark, and deleting history", () => {
    const { relay, replica, last } = setup()
    const bob = new Y.Doc()
    sync(relay, bob)
    markConversation(bob, 'c1', 'done', device('bob', 'bob-phone').author)
    sync(bob, relay)
    sync(relay, replica)
    last()
    inboxRoots.marks(replica).delete(markKey('c1', 'status', 'bob-phone'))
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'forbidden' })
    inboxRoots.history(replica).delete(0, 1)
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'forbidden' })
    expect(validateUpdate(relay, Uint8Array.of(1, 2, 3), ctx('alice'))).toMatchObject({
      code: 'malformed',
    })
  })

  it('[M8] a member adds their own mentions and clears mentions of themselves, nobody else’s', () => {
    const { relay, replica, last } = setup()
    const mention = { memberId: 'bob', conversationId: 'c1', noteId: 'n1', by: 'alice', at: T0 }
    addMention(replica, mention)
    const added = last()
    expect(validateUpdate(relay, added, ctx('alice'))).toEqual({ ok: true })
    expect(validateUpdate(relay, added, ctx('carol'))).toMatchObject({ code: 'forbidden' })
    Y.applyUpdate(relay, added)
    const bobs = new Y.Doc()
    sync(relay, bobs)
    const bobUpdates = recordUpdates(bobs)
    expect(clearMention(bobs, 'n1.bob')).toBe(true)
    const cleared = Y.mergeUpdates(bobUpdates)
    expect(validateUpdate(relay, cleared, ctx('bob'))).toEqual({ ok: true })
    expect(validateUpdate(relay, cleared, ctx('carol'))).toMatchObject({ code: 'forbidden' })
  })

  it('[M8] notes are written by their author only; contact fields by anyone', () => {
    const conversation = parseRoom('conversation:c1') as Room
    const relay = new Y.Doc()
    const replica = new Y.Doc()
    const updates = recordUpdates(replica)
    addNote(replica, { author: 'alice', body: 'call back @bob', mentions: ['bob'], id: 'n1' })
    const note = updates.splice(0)[0]!
    expect(validateUpdate(relay, note, { ...ctx('alice'), room: conversation })).toEqual({
      ok: true,
    })
    expect(validateUpdate(relay, note, { ...ctx('bob'), room: conversation })).toMatchObject({
      code: 'forbidden',
    })
    updateContact(replica, '+15550100', { name: 'Ann', tags: { add: ['vip'] } })
    const contact = Y.mergeUpdates(updates.splice(0))
    const contacts = { ...ctx('bob'), room: parseRoom('contacts') as Room }
    expect(validateUpdate(relay, contact, contacts)).toEqual({ ok: true })
  })

  it('[M8] rejects values larger than the bound (too-large)', () => {
    const { relay, replica, last } = setup()
    replica.getMap('mentions').set('n1.bob', {
      id: 'n1.bob',
      memberId: 'bob',
      conversationId: 'c1',
      noteId: 'n1',
      by: 'alice',
      at: T0,
      cleared: false,
      pad: 'x'.repeat(20_000),
    })
    expect(validateUpdate(relay, last(), ctx('alice'))).toMatchObject({ code: 'too-large' })
  })

  it('[M8] bounds a string value by its JSON length, escapes included', () => {
    const contacts = { ...ctx('bob'), room: parseRoom('contacts') as Room }
    const check = (value: string) => {
      const replica = new Y.Doc()
      const updates = recordUpdates(replica)
      replica.getMap('contacts').set('+15550100|name', value)
      return validateUpdate(new Y.Doc(), updates[0]!, contacts)
    }
    // 16,384 characters of JSON (quotes included) is the bound; one more is over it.
    expect(check('x'.repeat(16_382))).toEqual({ ok: true })
    expect(check('x'.repeat(16_383))).toMatchObject({ code: 'too-large' })
    // Short, but each control character is six characters of JSON.
    expect(check('x'.repeat(2_731))).toEqual({ ok: true })
    expect(check('\u0001'.repeat(2_731))).toMatchObject({ code: 'too-large' })
  })

  it('[M8] accepts a reconnect sync of a replica that already garbage-collected its overwritten marks', () => {
    const { relay, replica } = setup()
    const { author } = device('alice', 'alice-web')
    for (const kind of ['done', 'open', 'unread', 'read', 'done'] as const)
      markConversation(replica, 'c1', kind, author)
    const diff = Y.encodeStateAsUpdate(replica, Y.encodeStateVector(relay))
    expect(validateUpdate(relay, diff, ctx('alice'))).toEqual({ ok: true })
  })

  it('[M8] an update the caller already decoded gets the same verdict as its bytes, and is not changed', () => {
    const { relay, replica, last } = setup()
    markConversation(replica, 'c1', 'done', device('alice', 'alice-web').author)
    const own = last()
    markConversation(replica, 'c1', 'open', device('bob', 'bob-phone').author)
    const foreign = last()
    const cases: [Uint8Array, UpdateContext][] = [
      [own, ctx('alice')],
      [foreign, ctx('alice')],
      [own, ctx('alice', { now: T0 - 3_600_000 })],
      [own, ctx('alice', { readOnly: true })],
      [new Uint8Array([0, 0]), ctx('alice')],
    ]
    for (const [update, context] of cases) {
      const decoded = Y.decodeUpdate(update)
      const before = JSON.stringify(decoded.structs.map((s) => [s.id, s.length]))
      expect(validateUpdate(relay, update, context, decoded)).toEqual(
        validateUpdate(relay, update, context),
      )
      expect(JSON.stringify(decoded.structs.map((s) => [s.id, s.length]))).toBe(before)
    }
    expect(validateUpdate(relay, foreign, ctx('alice'), Y.decodeUpdate(foreign))).toMatchObject({
      ok: false,
      code: 'forbidden',
    })
  })
})

describe('checkActivity', () => {
  const good = activity('c1')
  it('accepts a well-formed activity and keeps only known fields', () => {
    const check = checkActivity({ ...good, extra: 'dropped' })
    expect(check).toEqual({ ok: true, value: good })
  })
  it.each([
    ['id', { id: 'has space' }],
    ['conversationId', { conversationId: '' }],
    ['phoneNumberId', { phoneNumberId: 'x'.repeat(129) }],
    ['direction', { direction: 'sideways' }],
    ['kind', { kind: 'fax' }],
    ['from', { from: '' }],
    ['to', { to: 'y'.repeat(65) }],
    ['at', { at: -1 }],
    ['at', { at: Number.NaN }],
    ['body', { body: 42 }],
    ['transcript', { transcript: 'z'.repeat(10_001) }],
    ['durationSeconds', { durationSeconds: -3 }],
    ['missed', { missed: 'yes' }],
  ])('names the invalid field %s', (field, patch) => {
    expect(checkActivity({ ...good, ...patch })).toMatchObject({ ok: false, field })
  })
  it('rejects what is not an object', () => {
    for (const input of [null, [], 'x', 3])
      expect(checkActivity(input)).toMatchObject({ ok: false, field: 'activity' })
  })
})
