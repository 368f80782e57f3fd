/**
 * A contact's notes text through the relay's admission (SPEC [C1]–[C4]): a member's edit is
 * applied, a viewer's refused; hand-built updates a member could send — a format, an embed, a
 * nested text, a text over the notes key, a note past its cap — are rejected with 4422.
 */
import {
  CONTACT_NOTES_MAX_CHARS,
  DEFAULT_MAX_DRIFT,
  contactNotesRoot,
  parseRoom,
  setContactNotes,
} from '@switchboard/core'
import { craftUpdate, type CraftedContent } from '@switchboard/core/testing'
import { CloseCode } from '@switchboard/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { admitClientUpdate, type AdmissionInput } from './admission.ts'
import { createMetrics } from './metrics.ts'
import { RELAY_ORIGIN, Room } from './room.ts'
import { createMemoryStorage } from './storage/memory.ts'

const N = '+15550100'

/** The contacts room holding the note "Call after 5" on N. */
async function contactsRoom(): Promise<Room> {
  const room = await Room.load('contacts', {
    storage: createMemoryStorage(),
    metrics: createMetrics(),
    log: () => {},
    compactEvery: 500,
  })
  setContactNotes(room.doc, N, 'Call after 5', RELAY_ORIGIN)
  await room.durable()
  return room
}

function input(room: Room, update: Uint8Array, readOnly = false): AdmissionInput {
  return {
    update,
    step: 'update',
    held: null,
    room,
    writer: { memberId: 'carol', roomName: parseRoom('contacts')!, readOnly },
    maxFrameBytes: 1024 * 1024,
    maxDriftMs: DEFAULT_MAX_DRIFT,
    now: Date.now(),
    deviceOwner: () => null,
    knownDevice: () => false,
  }
}

/** Carol's edit of N's notes, made on a replica of the room. */
function edit(room: Room, notes: string): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(room.doc))
  const before = Y.encodeStateVector(doc)
  setContactNotes(doc, N, notes)
  return Y.encodeStateAsUpdate(doc, before)
}

/** A hand-built item after the note's last character. */
function after(room: Room, content: CraftedContent): Uint8Array {
  let last = room.doc.share.get(contactNotesRoot(N))!._start!
  while (last.right) last = last.right
  return craftUpdate([{ client: 900_001, clock: 0, origin: last.lastId, content }])
}

describe('[C1]-[C4] admission of a contact notes update', () => {
  it("[C1] a member's edit of the shared text is applied; a viewer's is refused", async () => {
    const room = await contactsRoom()
    const update = edit(room, 'Call after 6, Carol')
    expect(admitClientUpdate(input(room, update)).kind).toBe('apply')
    expect(admitClientUpdate(input(room, update, true))).toMatchObject({
      kind: 'reject',
      code: CloseCode.Rejected,
      reason: 'read-only',
    })
  })

  it('[C2][C3][C4] a format, an embed, a nested text, a text over the notes key, a note past its cap: 4422', async () => {
    const room = await contactsRoom()
    const crafted: [string, Uint8Array][] = [
      ['format', after(room, { format: ['bold', true] })],
      ['embed', after(room, { embed: { image: 'x.png' } })],
      ['nested text', after(room, { type: 'text' })],
      ['past the cap', after(room, { string: 'x'.repeat(CONTACT_NOTES_MAX_CHARS) })],
      [
        'text over the notes key',
        craftUpdate([
          {
            client: 900_001,
            clock: 0,
            parent: 'contacts',
            parentSub: `${N}\u001fnotes`,
            content: { type: 'text' },
          },
        ]),
      ],
    ]
    for (const [what, update] of crafted)
      expect(admitClientUpdate(input(room, update)), what).toMatchObject({
        kind: 'reject',
        code: CloseCode.Rejected,
      })
    expect(room.doc.getText(contactNotesRoot(N)).toString()).toBe('Call after 5')
  })
})
