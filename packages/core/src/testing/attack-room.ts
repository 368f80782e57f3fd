/**
 * @module The rooms of the adversarial fuzz (attack.ts): each kind as the relay holds it, with
 * honest writers (Alice, Bob, the relay) and Carol, the hostile member, and her honest replica.
 */
import * as Y from 'yjs'
import { addNote, appendActivity } from '../conversation-doc.ts'
import { updateContact } from '../contacts.ts'
import { compactInbox } from '../epoch.ts'
import { createHlc } from '../hlc.ts'
import { ingestActivity, markConversation } from '../inbox.ts'
import { addMention } from '../mentions.ts'
import { parseRoom, type Room } from '../rooms.ts'
import type { Author, MarkKind } from '../types.ts'
import { setMember } from '../workspace.ts'
import type { Prng } from './prng.ts'

export const AttackRoomKinds = [
  'inbox',
  'inbox-epoch',
  'conversation',
  'contacts',
  'workspace',
] as const
export type AttackRoomKind = (typeof AttackRoomKinds)[number]

export const NOW = 1_750_000_000_000
export const CAROL = 'carol'
export const CAROL_CLIENTS = [900_001, 900_002]
export const ALICE_CLIENT = 100_001
export const BOB_CLIENT = 200_001
export const RELAY_CLIENT = 1
export const DEVICES: Record<string, string> = {
  'alice-web': 'alice',
  'bob-phone': 'bob',
  'carol-web': CAROL,
}
export interface SimRoom {
  room: Room
  doc: Y.Doc
  log: Uint8Array[]
  live: Y.Doc
  owners: Map<number, string>
  devices: Map<string, string>
  honest: { doc: Y.Doc; author: Author; memberId: string }[]
  /** The relay's and every honest device's wall clock. */
  clock: { now: number }
}

function author(memberId: string, deviceId: string, clock: { now: number }): Author {
  return { memberId, deviceId, clock: createHlc(deviceId, () => clock.now) }
}

export function buildRoom(kind: AttackRoomKind, prng: Prng): SimRoom {
  const clock = { now: NOW }
  let doc = new Y.Doc()
  doc.clientID = RELAY_CLIENT
  const alice = new Y.Doc()
  alice.clientID = ALICE_CLIENT
  const bob = new Y.Doc()
  bob.clientID = BOB_CLIENT
  const carol = new Y.Doc()
  carol.clientID = CAROL_CLIENTS[0]!
  const sync = () => {
    for (const r of [alice, bob]) {
      Y.applyUpdate(r, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(r)))
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(r, Y.encodeStateVector(doc)))
    }
  }
  const authors = {
    alice: author('alice', 'alice-web', clock),
    bob: author('bob', 'bob-phone', clock),
  }
  let room: Room
  if (kind === 'inbox' || kind === 'inbox-epoch') {
    room = parseRoom('inbox:pn1')!
    for (let i = 0; i < 6; i++)
      ingestActivity(doc, {
        id: `a${i}`,
        conversationId: `c${i % 4}`,
        phoneNumberId: 'pn1',
        direction: 'incoming',
        kind: 'message',
        from: '+15550100',
        to: '+15550199',
        body: `hello ${i}`,
        at: NOW - 10_000 + i,
      })
    sync()
    for (let i = 0; i < 4; i++) {
      clock.now += 10
      markConversation(
        alice,
        `c${i}`,
        prng.pick<MarkKind>(['done', 'open', 'unread', 'read']),
        authors.alice,
      )
      markConversation(bob, `c${(i + 1) % 4}`, prng.pick<MarkKind>(['done', 'open']), authors.bob)
    }
    addMention(alice, { memberId: 'bob', conversationId: 'c0', noteId: 'n1', by: 'alice', at: NOW })
    addMention(bob, { memberId: CAROL, conversationId: 'c1', noteId: 'n2', by: 'bob', at: NOW })
    sync()
    if (kind === 'inbox-epoch') {
      doc = compactInbox(doc, { epoch: 'e1', historySince: NOW - 1, now: NOW, clientID: 2 }).doc
      for (const r of [alice, bob]) r.destroy()
    }
  } else if (kind === 'conversation') {
    room = parseRoom('conversation:c0')!
    for (let i = 0; i < 5; i++)
      appendActivity(doc, {
        id: `a${i}`,
        conversationId: 'c0',
        phoneNumberId: 'pn1',
        direction: i % 2 ? 'outgoing' : 'incoming',
        kind: 'message',
        from: '+15550100',
        to: '+15550199',
        body: `hello ${i}`,
        at: NOW + i,
      })
    sync()
    addNote(alice, { author: 'alice', body: 'call back', mentions: [], id: 'n-alice', at: NOW })
    addNote(bob, { author: 'bob', body: 'refund sent', mentions: [], id: 'n-bob', at: NOW })
    sync()
  } else if (kind === 'contacts') {
    room = parseRoom('contacts')!
    sync()
    updateContact(alice, '+15550100', { name: 'Ada', notes: 'VIP', tags: { add: ['vip'] } })
    updateContact(bob, '+15550101', { name: 'Bo', properties: { plan: 'pro' } })
    sync()
  } else {
    room = parseRoom('workspace')!
    for (const id of ['alice', 'bob', CAROL])
      setMember(doc, { id, name: id, email: `${id}@example.com`, role: 'member' })
  }
  const live = new Y.Doc()
  const state = Y.encodeStateAsUpdate(doc)
  Y.applyUpdate(live, state)
  Y.applyUpdate(carol, state)
  const owners = new Map<number, string>([
    [doc.clientID, 'relay'],
    [RELAY_CLIENT, 'relay'],
    [ALICE_CLIENT, 'alice'],
    [BOB_CLIENT, 'bob'],
  ])
  const honest = [{ doc: carol, author: author(CAROL, 'carol-web', clock), memberId: CAROL }]
  if (kind === 'inbox' || kind === 'conversation' || kind === 'contacts') {
    Y.applyUpdate(alice, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(alice)))
    honest.push({ doc: alice, author: authors.alice, memberId: 'alice' })
  }
  return {
    room,
    doc,
    log: [state],
    live,
    owners,
    devices: new Map(Object.entries(DEVICES)),
    honest,
    clock,
  }
}
