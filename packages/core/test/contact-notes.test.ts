import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  CONTACT_NOTES_MAX_CHARS,
  CONTACT_NOTES_TOTAL_CHARS,
  contactNotesRoot,
  contactNotesText,
  editContactNotes,
  getContact,
  listContacts,
  parseRoom,
  readContactNotes,
  rebaseEdit,
  setContactNotes,
  textEdit,
  updateContact,
  validateUpdate,
  type UpdateContext,
} from '../src/index.ts'
import { craftUpdate, type CraftedContent } from '../src/testing/craft.ts'
import { recordUpdates, sync, T0 } from './helpers.ts'

const N = '+15550100'
const ctx: UpdateContext = {
  room: parseRoom('contacts')!,
  memberId: 'carol',
  now: T0,
  maxDrift: 60_000,
}

/** The relay's contacts room holding Alice's note "Call after 5" on N, and a replica of it. */
function roomWithNote(text = 'Call after 5') {
  const relay = new Y.Doc()
  const alice = new Y.Doc()
  setContactNotes(alice, N, text)
  sync(alice, relay)
  return { relay, alice }
}

/** The update a replica of `relay` makes with `write`. */
function honest(relay: Y.Doc, write: (doc: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc()
  sync(relay, replica)
  const updates = recordUpdates(replica)
  write(replica)
  return Y.mergeUpdates(updates)
}

/** Applies what is admitted, as the relay does; returns the verdict. */
function admit(relay: Y.Doc, update: Uint8Array, context: UpdateContext = ctx) {
  const verdict = validateUpdate(relay, update, context)
  if (verdict.ok) Y.applyUpdate(relay, update)
  return verdict
}

const CAROL = 900_001
/** The id of the notes text's last item (where a crafted item is put after). */
const lastOf = (doc: Y.Doc, number = N) => {
  let n = doc.share.get(contactNotesRoot(number))!._start
  while (n?.right) n = n.right
  return n!.lastId
}

describe('[C1] a contact note is one shared text', () => {
  it('[C1] two teammates typing at once, even the very first note, both keep every character', () => {
    const alice = new Y.Doc()
    const bob = new Y.Doc()
    setContactNotes(alice, N, 'Alice: VIP')
    setContactNotes(bob, N, 'Bob: refund')
    sync(alice, bob)
    const merged = readContactNotes(alice, N)
    expect(readContactNotes(bob, N)).toBe(merged)
    expect(merged).toContain('Alice: VIP')
    expect(merged).toContain('Bob: refund')
    // Edits inside the same text: each insertion lands where its author typed it.
    setContactNotes(alice, N, merged + ' (a)')
    setContactNotes(bob, N, '(b) ' + merged)
    sync(alice, bob)
    expect(readContactNotes(alice, N)).toBe(`(b) ${merged} (a)`)
    expect(getContact(bob, N).notes).toBe(`(b) ${merged} (a)`)
  })

  it('[C1] an honest edit by a member is admitted, a viewer is refused (read-only)', () => {
    const { relay } = roomWithNote()
    const edit = honest(relay, (d) => setContactNotes(d, N, 'Call after 6'))
    expect(validateUpdate(relay, edit, { ...ctx, readOnly: true })).toMatchObject({
      ok: false,
      code: 'read-only',
    })
    expect(admit(relay, edit)).toEqual({ ok: true })
    expect(readContactNotes(relay, N)).toBe('Call after 6')
  })

  it("[C1] a keystroke made before a teammate's edit arrived lands where it was typed in the text as it is now", () => {
    // Alice's field showed "Call after 5"; Bob's "Bob: " arrived before her "!" was applied.
    const basis = 'Call after 5'
    const current = 'Bob: Call after 5'
    const typed = textEdit(basis, 'Call after 5!')!
    expect(rebaseEdit(typed, basis, current)).toEqual({ index: 17, remove: 0, insert: '!' })
    // A deletion of "after " while Bob replaced "after" by "at": the range she cut, as it reads now.
    const cut = textEdit(basis, 'Call 5')!
    const moved = rebaseEdit(cut, basis, 'Call at 5')
    const doc = new Y.Doc()
    setContactNotes(doc, N, 'Call at 5')
    editContactNotes(doc, N, moved)
    expect(readContactNotes(doc, N)).toBe('Call 5')
    expect(rebaseEdit(typed, basis, basis)).toBe(typed)
  })

  it('[C1] textEdit is the one edit between two texts', () => {
    expect(textEdit('abc', 'abc')).toBeNull()
    expect(textEdit('Call at 5', 'Call after 5')).toEqual({ index: 6, remove: 1, insert: 'fter' })
    expect(textEdit('aaa', 'aaaa')).toEqual({ index: 3, remove: 0, insert: 'a' })
  })
})

describe('[C5] notes written as a string stay readable', () => {
  it('[C5] the old string is the notes until the first edit, which starts the text with it', () => {
    const relay = new Y.Doc()
    relay.getMap('contacts').set(N + '\u001fnotes', 'Old note')
    relay.getMap('contacts').set(N + '\u001fname', 'Ada')
    expect(getContact(relay, N).notes).toBe('Old note')
    expect(listContacts(relay)[0]).toMatchObject({ number: N, name: 'Ada', notes: 'Old note' })
    const edit = honest(relay, (d) => editContactNotes(d, N, { index: 8, remove: 0, insert: '!' }))
    expect(admit(relay, edit)).toEqual({ ok: true })
    expect(getContact(relay, N).notes).toBe('Old note!')
    // Emptied, the text stays the notes: the old string does not come back.
    expect(
      admit(
        relay,
        honest(relay, (d) => setContactNotes(d, N, '')),
      ),
    ).toEqual({ ok: true })
    expect(getContact(relay, N).notes).toBe('')
  })

  it('[C5] updateContact({notes}) writes the shared text; a contact with notes only is listed', () => {
    const doc = new Y.Doc()
    updateContact(doc, N, { notes: 'hello' })
    expect(doc.getMap('contacts').size).toBe(0)
    expect(contactNotesText(doc, N).toString()).toBe('hello')
    expect(listContacts(doc).map((c) => [c.number, c.notes])).toEqual([[N, 'hello']])
  })
})

describe('[C2][C3][C4] crafted updates against a contact note are refused and change nothing', () => {
  /** Carol's item after the text's last character, with `content`. */
  const after = (relay: Y.Doc, content: CraftedContent) =>
    craftUpdate([{ client: CAROL, clock: 0, origin: lastOf(relay), content }])

  const cases: [string, (relay: Y.Doc) => Uint8Array, string][] = [
    ['[C4] a formatting attribute', (r) => after(r, { format: ['bold', true] }), 'schema'],
    ['[C4] an embed', (r) => after(r, { embed: { image: 'x.png' } }), 'schema'],
    ['[C4] a nested text inside the note', (r) => after(r, { type: 'text' }), 'schema'],
    ['[C4] a nested map inside the note', (r) => after(r, { type: 'map' }), 'schema'],
    ['[C4] a JSON value inside the note', (r) => after(r, { any: ['x'] }), 'schema'],
    [
      '[C4] text inside a nested type (an item whose parent is an item of the note)',
      (r) =>
        craftUpdate([{ client: CAROL, clock: 0, parent: lastOf(r), content: { string: 'x' } }]),
      'schema',
    ],
    [
      '[C2] a map entry in the note (a key of the text)',
      () =>
        craftUpdate([
          {
            client: CAROL,
            clock: 0,
            parent: contactNotesRoot(N),
            parentSub: 'bold',
            content: { any: [true] },
          },
        ]),
      'schema',
    ],
    [
      "[C2] a text created as a contact's notes value in the contacts map (replacing it)",
      () =>
        craftUpdate([
          {
            client: CAROL,
            clock: 0,
            parent: 'contacts',
            parentSub: N + '\u001fnotes',
            content: { type: 'text' },
          },
        ]),
      'schema',
    ],
    [
      '[C2] text written in the contacts map itself',
      () =>
        craftUpdate([
          {
            client: CAROL,
            clock: 0,
            parent: 'contacts',
            parentSub: N + '\u001fname',
            content: { string: 'x' },
          },
        ]),
      'schema',
    ],
    ...(['contactNotes\u001f', 'contactNotes\u001fa\u0001b', 'contactNotes', 'notes', 'junk'].map(
      (root) =>
        [
          `[C2] text in a root that is not a contact's notes (${JSON.stringify(root)})`,
          () => craftUpdate([{ client: CAROL, clock: 0, parent: root, content: { string: 'x' } }]),
          'forbidden',
        ] as [string, (relay: Y.Doc) => Uint8Array, string],
    ) as [string, (relay: Y.Doc) => Uint8Array, string][]),
    [
      `[C3] a note grown past ${CONTACT_NOTES_MAX_CHARS} characters`,
      (r) => after(r, { string: 'x'.repeat(CONTACT_NOTES_MAX_CHARS) }),
      'too-large',
    ],
    [
      '[C3] a delete set listing the same characters twice does not pay for more text',
      (r) => {
        const first = r.share.get(contactNotesRoot(N))!._start!.id
        return craftUpdate(
          [
            {
              client: CAROL,
              clock: 0,
              origin: lastOf(r),
              content: { string: 'x'.repeat(CONTACT_NOTES_MAX_CHARS - 12 + 6) },
            },
          ],
          [
            [first.client, first.clock, 5],
            [first.client, first.clock, 5],
            [first.client, first.clock + 1, 4],
          ],
        )
      },
      'too-large',
    ],
  ]

  for (const [name, build, code] of cases)
    it(`${name} is refused (${code}); nothing changes`, () => {
      const { relay } = roomWithNote()
      const before = Y.encodeStateAsUpdate(relay)
      expect(validateUpdate(relay, build(relay), ctx)).toMatchObject({ ok: false, code })
      expect(Y.encodeStateAsUpdate(relay)).toEqual(before)
      expect(readContactNotes(relay, N)).toBe('Call after 5')
    })

  it('[C3] a note at its cap still takes deletions, and an edit that frees as much as it adds', () => {
    const { relay } = roomWithNote('x'.repeat(CONTACT_NOTES_MAX_CHARS))
    expect(
      admit(
        relay,
        honest(relay, (d) => editContactNotes(d, N, { index: 0, remove: 3, insert: 'abc' })),
      ),
    ).toEqual({ ok: true })
    expect(
      admit(
        relay,
        honest(relay, (d) => editContactNotes(d, N, { index: 0, remove: 5, insert: '' })),
      ),
    ).toEqual({ ok: true })
    expect(readContactNotes(relay, N)).toHaveLength(CONTACT_NOTES_MAX_CHARS - 5)
    expect(() => setContactNotes(relay, N, 'y'.repeat(CONTACT_NOTES_MAX_CHARS + 1))).toThrow(
      RangeError,
    )
  })

  it("[C3] every contact's notes together stay within the room's cap", () => {
    const relay = new Y.Doc()
    const full = Math.floor(CONTACT_NOTES_TOTAL_CHARS / CONTACT_NOTES_MAX_CHARS)
    relay.transact(() => {
      for (let i = 0; i < full; i++)
        contactNotesText(relay, `+1555${i}`).insert(0, 'x'.repeat(CONTACT_NOTES_MAX_CHARS))
    })
    const room = CONTACT_NOTES_TOTAL_CHARS - full * CONTACT_NOTES_MAX_CHARS
    const fits = honest(relay, (d) => setContactNotes(d, '+1999', 'y'.repeat(room)))
    const tooMuch = honest(relay, (d) => setContactNotes(d, '+1999', 'y'.repeat(room + 1)))
    expect(validateUpdate(relay, tooMuch, ctx)).toMatchObject({ ok: false, code: 'too-large' })
    expect(validateUpdate(relay, fits, ctx)).toEqual({ ok: true })
  })

  it("[C1][C2] a member may delete any of a note's text (a shared text), not the text itself", () => {
    const { relay } = roomWithNote()
    const start = relay.share.get(contactNotesRoot(N))!._start!.id
    // Everything Alice wrote, deleted by Carol: an edit of the shared text.
    expect(admit(relay, craftUpdate([], [[start.client, start.clock, 12]]))).toEqual({ ok: true })
    expect(readContactNotes(relay, N)).toBe('')
    // The text is a root: no struct holds it, so nothing can delete or replace it; writing again works.
    expect(
      admit(
        relay,
        honest(relay, (d) => setContactNotes(d, N, 'back')),
      ),
    ).toEqual({ ok: true })
    expect(readContactNotes(relay, N)).toBe('back')
  })
})
