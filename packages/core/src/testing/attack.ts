/**
 * @module Adversarial fuzz of update admission [M8]: a hostile member (Carol) sends arbitrary
 * struct sequences to a simulated relay that admits them as the real one does (gap hold, client
 * ownership, `admitUpdate`, apply with the tripwire), among honest writers. The oracle: whatever
 * the relay accepted left the values of every other writer's entries and of every relay-only
 * root unchanged, and the relay, a live replica and replicas loaded from the stored log and
 * from a snapshot hold the same values.
 */
import * as Y from 'yjs'
import { compactInbox } from '../epoch.ts'
import { formatTimestamp } from '../hlc.ts'
import { addMention } from '../mentions.ts'
import { addNote, appendActivity } from '../conversation-doc.ts'
import { updateContact } from '../contacts.ts'
import { conversationIds, ingestActivity, markConversation } from '../inbox.ts'
import { parseRoom, type Room } from '../rooms.ts'
import { encodeMark, markKey, SEP, type Lane } from '../schema.ts'
import { admitUpdate, unpredictedDeletion, type DeleteSet } from '../validate.ts'
import { setMember } from '../workspace.ts'
import { createHlc } from '../hlc.ts'
import type { Author, MarkKind } from '../types.ts'
import {
  craftUpdate,
  type CraftedContent,
  type CraftedStruct,
  type CraftedDelete,
} from './craft.ts'
import { createPrng, type Prng } from './prng.ts'

export const AttackRoomKinds = [
  'inbox',
  'inbox-epoch',
  'conversation',
  'contacts',
  'workspace',
] as const
export type AttackRoomKind = (typeof AttackRoomKinds)[number]

export interface AttackOptions {
  seed: number
  kind: AttackRoomKind
  /** Crafted updates to send. */
  updates: number
  /** A fresh room every this many updates (keeps documents small). */
  roomEvery?: number
}

export interface AttackResult {
  tried: number
  refused: number
  held: number
  accepted: number
  /** Refusals by reason. */
  reasons: Record<string, number>
  /** Honest updates sent among the attacks, and any the relay refused (must be none). */
  honest: number
  honestRefused: string[]
  /** Accepted updates whose apply deleted what admission did not predict, or threw. */
  tripped: string[]
  /** Oracle failures: a protected value changed, or replicas differ. */
  violations: string[]
}

const NOW = 1_750_000_000_000
const CAROL = 'carol'
const CAROL_CLIENTS = [900_001, 900_002]
const ALICE_CLIENT = 100_001
const BOB_CLIENT = 200_001
const RELAY_CLIENT = 1
const DEVICES: Record<string, string> = {
  'alice-web': 'alice',
  'bob-phone': 'bob',
  'carol-web': CAROL,
}
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
]

type Values = Record<string, { map: Record<string, unknown>; list: unknown[] }>

/** Every non-empty root's live values, read from Yjs's structures (typed or not). */
export function rootValues(doc: Y.Doc): Values {
  const out: Values = {}
  for (const name of [...doc.share.keys()].sort()) {
    const type = doc.share.get(name)!
    const map: Record<string, unknown> = {}
    for (const key of [...type._map.keys()].sort()) {
      const item = type._map.get(key)!
      if (!item.deleted) map[key] = item.content.getContent().at(-1)
    }
    const list: unknown[] = []
    for (let n = type._start; n !== null; n = n.right)
      if (!n.deleted) list.push(...n.content.getContent())
    if (Object.keys(map).length || list.length) out[name] = { map, list }
  }
  return out
}

/** The values Carol may not change: everyone else's entries and every relay-only root. */
function protectedView(kind: AttackRoomKind, doc: Y.Doc): string {
  const v = rootValues(doc)
  const mine = (key: string, value: unknown): boolean => {
    if (typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>
      if (o.author === CAROL || o.memberId === CAROL || o.by === CAROL) return true
    }
    const device = key.split(SEP)[2]
    return device !== undefined && DEVICES[device] === undefined
      ? true
      : device !== undefined && DEVICES[device] === CAROL
  }
  const kept: Values = {}
  for (const [root, { map, list }] of Object.entries(v)) {
    const writable =
      kind === 'contacts'
        ? root === 'contacts'
        : kind.startsWith('inbox')
          ? ['marks', 'history', 'mentions'].includes(root)
          : kind === 'conversation' && root === 'notes'
    if (!writable) {
      kept[root] = { map, list }
      continue
    }
    if (root === 'contacts') continue
    const others = {
      map: Object.fromEntries(Object.entries(map).filter(([k, val]) => !mine(k, val))),
      list: list.filter((val) => !mine('', val)),
    }
    if (Object.keys(others.map).length || others.list.length) kept[root] = others
  }
  const roots = Object.keys(v).filter(
    (r) =>
      !(
        {
          inbox: ['conversations', 'marks', 'history', 'mentions', 'activityLog', 'meta'],
          'inbox-epoch': ['conversations', 'marks', 'history', 'mentions', 'activityLog', 'meta'],
          conversation: ['activities', 'notes'],
          contacts: ['contacts'],
          workspace: ['members', 'phoneNumbers', 'access'],
        }[kind] as string[]
      ).includes(r),
  )
  return JSON.stringify({ kept, unknownRoots: roots })
}

interface SimRoom {
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

function buildRoom(kind: AttackRoomKind, prng: Prng): SimRoom {
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
  const lane = prng.pick(['status', 'flag', 'pin', 'assign', 'bogus'])
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
  contacts: ['contacts'],
  workspace: ['members', 'phoneNumbers', 'access'],
}

/** A value Carol may write at `root`/`key` (when the key is hers to write). */
function plausibleValue(prng: Prng, sim: SimRoom, root: string, key: string | null): unknown {
  const time = sim.clock.now
  if (root === 'marks' && key) {
    const device = key.split(SEP)[2] ?? 'carol-web'
    const at = formatTimestamp({ wall: time, counter: prng.int(5), device })
    const lane = key.split(SEP)[1]
    const kind = lane === 'pin' ? 'pin' : lane === 'assign' ? 'assign' : prng.pick(['done', 'open'])
    return encodeMark({
      kind: kind as 'done',
      at,
      by: CAROL,
      device,
      seen: prng.int(3),
      ...(lane === 'assign' ? { value: CAROL } : {}),
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
    const array = root === 'history' || root === 'activityLog'
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
      : { any: empty ? [] : [plausibleValue(prng, sim, root, key)] }
    // In a list, sometimes a right neighbour anywhere (Yjs needs it right of the origin).
    const rightOrigin = array && prng.chance(0.2) ? pickId(prng, doc, structs) : null
    structs.push({ client, clock, origin, rightOrigin, parent: root, parentSub: key, content })
    clock += 'any' in content ? content.any.length : content.deleted
  }
  const deletes: CraftedDelete[] = []
  if (prng.chance(0.3)) {
    const id = pickId(prng, doc, structs)
    if (id) deletes.push([id.client, id.clock, prng.range(1, 2)])
  }
  return craftUpdate(structs, deletes)
}

/** One crafted update: a few blocks of structs and a delete set, some of it absurd. */
function craft(prng: Prng, sim: SimRoom): Uint8Array {
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
        : {
            any: Array.from({ length: prng.chance(0.9) ? 1 : 2 }, () =>
              pickValue(prng, sim.clock.now, key),
            ),
          }
      structs.push({ client, clock, origin, rightOrigin, parent: root, parentSub: key, content })
      clock += 'any' in content ? content.any.length : content.deleted
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

/** What the relay does with a member's update before and while applying it (relay.ts). */
function receive(
  sim: SimRoom,
  memberId: string,
  update: Uint8Array,
): { verdict: 'accepted' | 'held' | 'refused'; reason?: string; tripped?: string } {
  const { doc } = sim
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch {
    return { verdict: 'refused', reason: 'undecodable' }
  }
  const next = new Map<number, number>()
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) return { verdict: 'held', reason: 'gap' }
    const expected = next.get(s.id.client) ?? Y.getState(doc.store, s.id.client)
    if (s.id.clock > expected) return { verdict: 'held', reason: 'gap' }
    next.set(s.id.client, Math.max(expected, s.id.clock + s.length))
  }
  const clients = [...next.keys()].filter((c) => Y.getState(doc.store, c) < (next.get(c) ?? 0))
  for (const c of clients) {
    const owner = sim.owners.get(c)
    if (owner !== undefined && owner !== memberId)
      return { verdict: 'refused', reason: 'foreign-client' }
  }
  const devices = new Set<string>()
  const admission = admitUpdate(
    doc,
    update,
    {
      room: sim.room,
      memberId,
      now: sim.clock.now,
      maxDrift: 60_000,
      deviceOwner: (d) => sim.devices.get(d) ?? null,
      devices,
    },
    decoded,
  )
  if (!admission.ok)
    return admission.code === 'unknown-parent'
      ? { verdict: 'held', reason: admission.code }
      : { verdict: 'refused', reason: admission.code }
  for (const c of clients) sim.owners.set(c, memberId)
  for (const d of devices) if (!sim.devices.has(d)) sim.devices.set(d, memberId)
  let deleted: DeleteSet | null = null
  const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
  doc.on('afterTransaction', onAfter)
  let tripped: string | undefined
  try {
    Y.applyUpdate(doc, admission.update)
  } catch (err) {
    tripped = `apply threw: ${(err as Error).message}`
  } finally {
    doc.off('afterTransaction', onAfter)
  }
  if (!tripped && deleted) {
    const id = unpredictedDeletion(admission, deleted)
    if (id) tripped = `deleted ${id} unpredicted`
  }
  if (tripped) {
    // The room reloads from its log: nothing of this update is kept.
    const fresh = new Y.Doc()
    fresh.clientID = doc.clientID
    for (const u of sim.log) Y.applyUpdate(fresh, u)
    sim.doc = fresh
    return { verdict: 'refused', reason: 'tripwire', tripped }
  }
  if (doc.store.pendingStructs || doc.store.pendingDs)
    return { verdict: 'accepted', tripped: 'the room holds pending structs after the apply' }
  sim.log.push(admission.update)
  Y.applyUpdate(sim.live, admission.update)
  for (const h of sim.honest) Y.applyUpdate(h.doc, admission.update)
  return { verdict: 'accepted' }
}

function sameValues(sim: SimRoom, where: string, violations: string[]): void {
  const relay = JSON.stringify(rootValues(sim.doc))
  const fromLog = new Y.Doc()
  for (const u of sim.log) Y.applyUpdate(fromLog, u)
  const fromSnapshot = new Y.Doc()
  Y.applyUpdate(fromSnapshot, Y.encodeStateAsUpdate(sim.doc))
  const others: [string, Y.Doc][] = [
    ['live replica', sim.live],
    ['replica loaded from the log', fromLog],
    ['replica loaded from a snapshot', fromSnapshot],
  ]
  for (const [name, doc] of others) {
    const values = JSON.stringify(rootValues(doc))
    if (values !== relay)
      violations.push(
        `${where}: ${name} differs from the relay: ${values.slice(0, 400)} vs ${relay.slice(0, 400)}`,
      )
    if (doc.store.pendingStructs || doc.store.pendingDs)
      violations.push(`${where}: ${name} holds pending structs`)
  }
}

/** An honest write by a replica that has everything the relay accepted. */
function honestWrite(prng: Prng, sim: SimRoom): { memberId: string; update: Uint8Array } | null {
  const h = prng.pick(sim.honest)
  const updates: Uint8Array[] = []
  const on = (u: Uint8Array) => updates.push(u)
  h.doc.on('update', on)
  const kind = sim.room.kind
  if (kind === 'inbox') {
    const id = prng.pick(conversationIds(h.doc))
    markConversation(h.doc, id, prng.pick<MarkKind>(['done', 'open', 'unread', 'read']), h.author)
  } else if (kind === 'conversation') {
    addNote(h.doc, {
      author: h.memberId,
      body: 'note',
      mentions: [],
      id: `n-${h.memberId}-${prng.int(3)}`,
      at: sim.clock.now,
    })
  } else if (kind === 'contacts') {
    updateContact(h.doc, '+15550100', { notes: `n${prng.int(100)}` })
  }
  h.doc.off('update', on)
  return updates.length ? { memberId: h.memberId, update: Y.mergeUpdates(updates) } : null
}

export function runAttackFuzz(options: AttackOptions): AttackResult {
  const prng = createPrng(options.seed)
  const roomEvery = options.roomEvery ?? 250
  const result: AttackResult = {
    tried: 0,
    refused: 0,
    held: 0,
    accepted: 0,
    reasons: {},
    honest: 0,
    honestRefused: [],
    tripped: [],
    violations: [],
  }
  let sim = buildRoom(options.kind, prng)
  let view: string | null = null
  for (let i = 0; i < options.updates; i++) {
    if (i > 0 && i % roomEvery === 0) {
      sameValues(sim, `seed ${options.seed} ${options.kind} #${i}`, result.violations)
      sim = buildRoom(options.kind, prng)
      view = null
    }
    sim.clock.now += prng.int(50)
    if (prng.chance(0.1)) {
      const write = honestWrite(prng, sim)
      if (write) {
        view = null
        result.honest++
        const got = receive(sim, write.memberId, write.update)
        if (got.verdict !== 'accepted')
          result.honestRefused.push(
            `#${i} ${write.memberId}: ${got.verdict} ${got.reason ?? ''} ${got.tripped ?? ''}`,
          )
      }
    }
    const update = craft(prng, sim)
    result.tried++
    // Only an accepted update (or an honest one) changes the room: the view is kept until then.
    view ??= protectedView(options.kind, sim.doc)
    const before = view
    const got = receive(sim, CAROL, update)
    if (got.verdict === 'accepted') {
      result.accepted++
      const after = (view = protectedView(options.kind, sim.doc))
      if (after !== before)
        result.violations.push(
          `seed ${options.seed} ${options.kind} #${i}: accepted update changed protected values\n before ${before}\n after  ${after}`,
        )
    } else {
      if (got.verdict === 'held') result.held++
      else result.refused++
      result.reasons[got.reason!] = (result.reasons[got.reason!] ?? 0) + 1
    }
    if (got.tripped) view = null
    if (got.tripped)
      result.tripped.push(`seed ${options.seed} ${options.kind} #${i}: ${got.tripped}`)
    if (result.violations.length > 5) break
  }
  sameValues(sim, `seed ${options.seed} ${options.kind} end`, result.violations)
  return result
}
