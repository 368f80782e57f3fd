/**
 * @module Whether a decoded client update integrates into a document at once, so the relay can
 * batch the update's own bytes instead of having Yjs encode the transaction again.
 */
import * as Y from 'yjs'
import type { DeleteRange, DeleteSet } from './delete-sets.ts'

/**
 * True when applying a decoded update to `doc` integrates every struct and deletion in it at
 * once: each client's structs start exactly at the doc's state for it and follow each other (no
 * gap, nothing the doc already has), every struct they refer to (origin, right origin, parent)
 * is in the doc or in the update, and every deletion falls within what the doc then holds. Then
 * the update's own bytes carry exactly what the doc's `update` event would.
 */
export function integratesWhole(
  doc: Y.Doc,
  structs: readonly (Y.Item | Y.GC | Y.Skip)[],
  ds: DeleteSet,
): boolean {
  if (structs.length === 0) return false
  const end = new Map<number, number>()
  for (const s of structs) {
    if (s instanceof Y.Skip) return false
    const client = s.id.client
    const expected = end.get(client) ?? Y.getState(doc.store, client)
    if (s.id.clock !== expected) return false
    end.set(client, expected + s.length)
  }
  const known = (id: Y.ID | null) =>
    id === null || id.clock < (end.get(id.client) ?? Y.getState(doc.store, id.client))
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue
    if (!known(s.origin) || !known(s.rightOrigin)) return false
    if (s.parent instanceof Y.ID && !known(s.parent)) return false
  }
  for (const [client, ranges] of ds.clients as Map<number, DeleteRange[]>) {
    const limit = end.get(client) ?? Y.getState(doc.store, client)
    for (const r of ranges) if (r.clock + r.len > limit) return false
  }
  return true
}
