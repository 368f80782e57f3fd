/**
 * @module The hostile member's updates in the adversarial fuzz (attack.ts): plausible ones (her
 * client at its next clock, after the current value of a key of any root) and wild ones (any
 * client, origin, parent, length, delete set).
 */
import * as Y from 'yjs'
import { formatTimestamp } from '../hlc.ts'
import { encodeMark, markKey, SEP, type Lane } from '../schema.ts'
import {
  craftedLength,
  craftUpdate,
  type CraftedContent,
  type CraftedDelete,
  type CraftedStruct,
} from './craft.ts'
import { ALICE_CLIENT, BOB_CLIENT, CAROL, CAROL_CLIENTS, type SimRoom } from './attack-room.ts'
import type { Prng } from './prng.ts'

const ROOTS = [
  'conversations',
  'marks',
  'history',
  'mentions',
  'activityLog',
  'meta',
  'activities',
  'notes',
  'contacts',
  'members',
  'phoneNumbers',
  'access',
  'junk',
  '',
  'contactNotes\u001f+15550100',
  'contactNotes\u001f',
  'contactNotes\u001fx\u0001',
]

/** Where Carol writes in a contacts room: its map, and contacts' notes texts [C2]. */
const NOTES_ROOTS = ['contactNotes\u001f+15550100', 'contactNotes\u001f+15550101']

/** Content for a contact's notes text: mostly text, sometimes what a text may not hold [C4]. */
function notesContent(prng: Prng): CraftedContent {
  switch (prng.int(8)) {
    case 0:
      return { format: ['bold', true] }
    case 1:
      return { embed: { image: 'x' } }
    case 2:
      return { type: prng.pick(['text', 'map'] as const) }
    case 3:
      return { string: 'z'.repeat(prng.chance(0.5) ? 10_001 : 9_000) }
    default:
      return { string: prng.pick(['a', 'hi ', 'Carol was here']) }
  }
}

/** A random id the document or the update knows (or nearly: off by a little, or absurd). */
function pickId(prng: Prng, doc: Y.Doc, structs: CraftedStruct[]): Y.ID | null {
  const r = prng.next()
  if (r < 0.1) return null
  if (r < 0.2 && structs.length) {
    const s = prng.pick(structs)
    return Y.createID(s.client, s.clock)
  }
  if (r < 0.25) return Y.createID(prng.pick(CAROL_CLIENTS), prng.int(2 ** prng.int(33)))
  const clients = [...doc.store.clients.keys()]
  if (!clients.length) return null
  const client = prng.pick(clients)
  const list = doc.store.clients.get(client)!
  const s = prng.pick(list)
  const clock = s.id.clock + prng.int(s.length + (prng.chance(0.1) ? 3 : 0))
  return Y.createID(client, clock)
}

function pickKey(prng: Prng, doc: Y.Doc, root: string): string | null {
  const type = doc.share.get(root)
  const keys = type ? [...type._map.keys()] : []
  const r = prng.next()
  if (r < 0.5 && keys.length) return prng.pick(keys)
  if (r < 0.6) return null
  const conv = `c${prng.int(5)}`
  const lane = prng.pick(['status', 'flag', 'pin', 'assign', 'snooze', 'bogus'])
  const device = prng.pick(['alice-web', 'bob-phone', 'carol-web', 'carol-cli', 'x'])
  if (r < 0.8) return markKey(conv, lane as Lane, device)
  return prng.pick([
    'n-alice',
    'n-bob',
    'n-carol',
    'a0',
    '+15550100\u001fname',
    'base',
    'epoch',
    '',
  ])
}

function pickValue(prng: Prng, time: number, key: string | null): unknown {
  const at = (device: string) =>
    formatTimestamp({
      wall: time + prng.int(3) * (prng.chance(0.05) ? 10_000_000 : 1),
      counter: prng.int(3),
      device,
    })
  const device = key?.split(SEP)[2] ?? prng.pick(['carol-web', 'alice-web'])
  const who = prng.pick([CAROL, CAROL, 'alice', 'bob'])
  switch (prng.int(9)) {
    case 0:
      return encodeMark({
        kind: prng.pick(['done', 'open', 'read', 'pin']) as 'done',
        at: at(device),
        by: who,
        device,
        seen: prng.int(4),
      })
    case 1:
      return { id: key, author: who, body: 'forged', mentions: [], at: time }
    case 2:
      return {
        conversationId: `c${prng.int(5)}`,
        kind: 'done',
        memberId: who,
        deviceId: device,
        at: at(device),
        seen: 1,
      }
    case 3:
      return {
        id: key,
        memberId: prng.pick([CAROL, 'alice']),
        conversationId: 'c1',
        noteId: 'n',
        by: who,
        at: time,
        cleared: prng.chance(0.5),
      }
    case 4:
      return prng.pick(['x', true, null, 42, 'Ada'])
    case 5:
      return { nested: { deep: [1, 2, { x: 'y' }] } }
    case 6:
      return 'y'.repeat(prng.chance(0.5) ? 20_000 : 10)
    case 7:
      return prng.pick(['[2,"pn1",[],null,0,null,null,[]]', 'meta', ''])
    default:
      return { kind: 'done', at: at(device), by: who, device, seen: 0 }
  }
}

const KIND_ROOTS: Record<string, string[]> = {
  inbox: ['marks', 'marks', 'history', 'mentions', 'conversations', 'activityLog', 'meta'],
  conversation: ['notes', 'notes', 'activities'],
  contacts: ['contacts', ...NOTES_ROOTS],
  workspace: ['members', 'phoneNumbers', 'access'],
}

/** A value Carol may write at `root`/`key` (when the key is hers to write). */
function plausibleValue(prng: Prng, sim: SimRoom, root: string, key: string | null): unknown {
  const time = sim.clock.now
  if (root === 'marks' && key) {
    const device = key.split(SEP)[2] ?? 'carol-web'
    const at = formatTimestamp({ wall: time, counter: prng.int(5), device })
    const lane = key.split(SEP)[1]
    const kind =
      lane === 'pin'
        ? 'pin'
        : lane === 'assign'
          ? 'assign'
          : lane === 'snooze'
            ? 'snooze'
            : prng.pick(['done', 'open'])
    return encodeMark({
      kind: kind as 'done',
      at,
      by: CAROL,
      device,
      seen: prng.int(3),
      ...(lane === 'assign' ? { value: CAROL } : {}),
      ...(lane === 'snooze' ? { value: prng.pick(['reply', String(time + 60_000)]) } : {}),
    })
  }
  if (root === 'history') {
    const at = formatTimestamp({ wall: time, counter: prng.int(5), device: 'carol-web' })
    return {
      conversationId: `c${prng.int(4)}`,
      kind: 'done',
      memberId: CAROL,
      deviceId: 'carol-web',
      at,
      seen: 1,
    }
  }
  if (root === 'notes') return { id: key, author: CAROL, body: 'mine', mentions: [], at: time }
  if (root === 'mentions')
    return {
      id: key,
      memberId: 'alice',
      conversationId: 'c1',
      noteId: 'n',
      by: CAROL,
      at: time,
      cleared: false,
    }
  if (root === 'contacts') return prng.pick(['Ada', 'x', true, null])
  return pickValue(prng, time, key)
}

/**
 * An update that looks like a real client's — Carol's client at its next clock (or overlapping
 * what the room holds), items after the current value of a key of any root, deleted or valid
 * content — so that many reach Yjs and the oracle.
 */
function craftPlausible(prng: Prng, sim: SimRoom): Uint8Array {
  const { doc } = sim
  // Sometimes a client id below everyone's: Yjs orders concurrent items of a key by client id.
  const client = prng.chance(0.1) ? 7 : prng.pick(CAROL_CLIENTS)
  const state = Y.getState(doc.store, client)
  let clock = prng.chance(0.8) ? state : Math.max(0, state - prng.range(1, 3))
  const structs: CraftedStruct[] = []
  const roots = KIND_ROOTS[sim.room.kind]!
  for (let n = prng.range(1, 4); n > 0; n--) {
    const root = prng.chance(0.9) ? prng.pick(roots) : prng.pick(ROOTS)
    const type = doc.share.get(root)
    const text = root.startsWith('contactNotes')
    const array = root === 'history' || root === 'activityLog' || (text && prng.chance(0.9))
    let key: string | null = array ? null : pickKey(prng, doc, root)
    if (!array && key === null) key = markKey(`c${prng.int(4)}`, 'status', 'carol-web')
    let origin: Y.ID | null = null
    const last = structs.at(-1)
    if (last && prng.chance(0.2)) origin = Y.createID(last.client, last.clock)
    else if (key !== null) origin = type?._map.get(key)?.lastId ?? null
    else {
      let n = type?._start ?? null
      while (n?.right) n = n.right
      origin = n?.lastId ?? null
    }
    // Now and then a struct of no length (Yjs cannot index it).
    const empty = prng.chance(0.02)
    const content: CraftedContent = prng.chance(0.45)
      ? { deleted: empty ? 0 : prng.range(1, 2) }
      : text && !empty
        ? notesContent(prng)
        : { any: empty ? [] : [plausibleValue(prng, sim, root, key)] }
    // In a list, sometimes a right neighbour anywhere (Yjs needs it right of the origin).
    const rightOrigin = array && prng.chance(0.2) ? pickId(prng, doc, structs) : null
    structs.push({ client, clock, origin, rightOrigin, parent: root, parentSub: key, content })
    clock += craftedLength(content)
  }
  const deletes: CraftedDelete[] = []
  if (prng.chance(0.3)) {
    const id = pickId(prng, doc, structs)
    if (id) deletes.push([id.client, id.clock, prng.range(1, 2)])
  }
  return craftUpdate(structs, deletes)
}

/** One crafted update: a few blocks of structs and a delete set, some of it absurd. */
export function craft(prng: Prng, sim: SimRoom): Uint8Array {
  const { doc } = sim
  if (prng.chance(0.6)) return craftPlausible(prng, sim)
  const structs: CraftedStruct[] = []
  const blocks = prng.range(1, 3)
  for (let b = 0; b < blocks; b++) {
    const r = prng.next()
    const client =
      r < 0.8
        ? prng.pick(CAROL_CLIENTS)
        : r < 0.9
          ? prng.pick([ALICE_CLIENT, BOB_CLIENT, doc.clientID])
          : 700_000 + prng.int(5)
    const state = Y.getState(doc.store, client)
    const c = prng.next()
    let clock =
      c < 0.6
        ? state
        : c < 0.85
          ? Math.max(0, state - prng.range(1, 4))
          : c < 0.95
            ? state + prng.range(1, 3)
            : 2 ** 40
    const n = prng.range(1, 4)
    for (let i = 0; i < n; i++) {
      if (prng.chance(0.05)) {
        const length = prng.range(1, 3)
        structs.push({ kind: 'gc', client, clock, length })
        clock += length
        continue
      }
      const origin = prng.chance(0.7) ? pickId(prng, doc, structs) : null
      const rightOrigin = prng.chance(0.3) ? pickId(prng, doc, structs) : null
      const root = prng.pick(ROOTS)
      const key = pickKey(prng, doc, root)
      const content: CraftedContent = prng.chance(0.4)
        ? { deleted: prng.range(1, 3) }
        : prng.chance(0.1)
          ? notesContent(prng)
          : {
              any: Array.from({ length: prng.chance(0.9) ? 1 : 2 }, () =>
                pickValue(prng, sim.clock.now, key),
              ),
            }
      structs.push({ client, clock, origin, rightOrigin, parent: root, parentSub: key, content })
      clock += craftedLength(content)
    }
  }
  const deletes: CraftedDelete[] = []
  if (prng.chance(0.3))
    for (let i = prng.range(1, 3); i > 0; i--) {
      const id = pickId(prng, doc, structs)
      if (id) deletes.push([id.client, id.clock, prng.range(1, 3)])
    }
  return craftUpdate(structs, deletes)
}
