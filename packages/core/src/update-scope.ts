/**
 * @module Where an update's items land: the root and map key Yjs will put each one under.
 *
 * Yjs encodes an item with a left or right neighbour without its parent: it takes the parent
 * and key of its left neighbour (else its right one), in the update or in the room's document.
 */
import * as Y from 'yjs'
import { Reject, RejectCode } from './reject.ts'
import type { Target } from './write-rules.ts'

export class Scope {
  readonly doc: Y.Doc
  readonly byClient: Map<number, Y.Item[]>
  constructor(doc: Y.Doc, byClient: Map<number, Y.Item[]>) {
    this.doc = doc
    this.byClient = byClient
  }

  // An update lists each client's structs in clock order, so lookups bisect instead of scanning:
  // a replica's first sync can carry tens of thousands of items that refer to each other.
  inUpdate(id: Y.ID): Y.Item | undefined {
    const items = this.byClient.get(id.client)
    if (!items) return undefined
    let lo = 0
    let hi = items.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const item = items[mid]!
      if (id.clock < item.id.clock) hi = mid - 1
      else if (id.clock >= item.id.clock + item.length) lo = mid + 1
      else return item
    }
    return undefined
  }

  /** The room's item at `id`; null when the room has nothing there. */
  inDoc(id: Y.ID): Y.Item | null {
    if (Y.getState(this.doc.store, id.client) <= id.clock) return null
    const s = Y.getItem(this.doc.store, id) as Y.Item | Y.GC
    // Yjs drops an item whose neighbour was garbage-collected: nothing a member writes is.
    if (!(s instanceof Y.Item))
      throw new Reject(RejectCode.Schema, `${id.client}:${id.clock} is a removed struct`)
    return s
  }
}

function rootOf(type: Y.AbstractType<unknown>): string {
  if (type._item !== null)
    throw new Reject(RejectCode.Schema, 'nested shared types are not part of the schema')
  return Y.findRootTypeKey(type)
}

/** The root and key `item` lands under, as Yjs's `Item.getMissing` decides it. */
export function resolve(scope: Scope, item: Y.Item, depth = 0): Target {
  if (depth > 10_000) throw new Reject(RejectCode.Malformed, 'origin chain too long')
  const parent = item.parent as unknown
  if (typeof parent === 'string') return { root: parent, key: item.parentSub }
  if (parent instanceof Y.ID)
    throw new Reject(RejectCode.Schema, 'nested shared types are not part of the schema')
  if (parent instanceof Y.AbstractType)
    return { root: rootOf(parent as Y.AbstractType<unknown>), key: item.parentSub }
  const originId = item.origin ?? item.rightOrigin
  if (!originId) throw new Reject(RejectCode.Malformed, 'item without parent or origin')
  const local = scope.inDoc(originId)
  if (local) return resolve(scope, local, depth + 1)
  const other = scope.inUpdate(originId)
  if (other && other !== item) return resolve(scope, other, depth + 1)
  throw new Reject(
    RejectCode.UnknownParent,
    `item ${item.id.client}:${item.id.clock} refers to an unknown item`,
  )
}
