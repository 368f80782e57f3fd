/**
 * @module The oracle of the adversarial fuzz (attack.ts): the values a room holds, those the
 * hostile member may not change, and whether every replica of the room holds the same.
 */
import * as Y from 'yjs'
import { SEP } from '../schema.ts'
import {
  CONTACT_NOTES_MAX_CHARS,
  CONTACT_NOTES_TOTAL_CHARS,
  contactNotesNumber,
} from '../contact-notes.ts'
import { CAROL, DEVICES, type AttackRoomKind, type SimRoom } from './attack-room.ts'

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

/**
 * What no accepted update may bring into contacts' notes texts [C2]–[C4]: anything but text,
 * a key, a text past its cap, all notes past the room's.
 */
function notesFaults(doc: Y.Doc): string[] {
  const faults: string[] = []
  let total = 0
  for (const [root, type] of doc.share) {
    if (contactNotesNumber(root) === null) continue
    total += type._length
    if (type._map.size) faults.push(`${root} has keys`)
    if (type._length > CONTACT_NOTES_MAX_CHARS) faults.push(`${root} is over its cap`)
    for (let n = type._start; n !== null; n = n.right)
      if (!(n.content instanceof Y.ContentString) && !(n.content instanceof Y.ContentDeleted))
        faults.push(`${root} holds ${n.content.constructor.name}`)
  }
  if (total > CONTACT_NOTES_TOTAL_CHARS) faults.push('contact notes over the room cap')
  return faults
}

/**
 * The values Carol may not change: everyone else's entries and every relay-only root. A
 * contact's notes text is everyone's to edit [C1]: only its shape is kept (notesFaults).
 */
export function protectedView(kind: AttackRoomKind, doc: Y.Doc): string {
  const v = rootValues(doc)
  const shared = (root: string) => kind === 'contacts' && contactNotesNumber(root) !== null
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
    if (shared(root)) continue
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
      !shared(r) &&
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
  return JSON.stringify({ kept, unknownRoots: roots, notesFaults: notesFaults(doc) })
}

export function sameValues(sim: SimRoom, where: string, violations: string[]): void {
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
