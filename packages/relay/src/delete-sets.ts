/**
 * @module Delete sets as byte work: what one replica deleted that another has not, and the update
 * that carries only those deletions (a warm rejoin's whole answer).
 */
import * as encoding from 'lib0/encoding'
import type * as Y from 'yjs'
import { writeDeleteSet } from './merge.ts'

export type DeleteSet = ReturnType<typeof Y.createDeleteSetFromStructStore>
export type DeleteRange = { clock: number; len: number }

/** The ranges in clock order: as they are when already so (Yjs writes them sorted), else a copy. */
function inClockOrder(ranges: readonly DeleteRange[]): readonly DeleteRange[] {
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i]!.clock < ranges[i - 1]!.clock)
      return ranges.slice().sort((a, b) => a.clock - b.clock)
  return ranges
}

/** Ranges deleted in `have` that `known` does not list as deleted (either side in any order). */
export function subtractDeleteSets(have: DeleteSet, known: DeleteSet): Map<number, DeleteRange[]> {
  const missing = new Map<number, DeleteRange[]>()
  for (const [client, ranges] of have.clients as Map<number, DeleteRange[]>) {
    const theirs = inClockOrder((known.clients as Map<number, DeleteRange[]>).get(client) ?? [])
    const out: DeleteRange[] = []
    let j = 0
    for (const r of inClockOrder(ranges)) {
      let start = r.clock
      const end = r.clock + r.len
      while (j < theirs.length && theirs[j]!.clock + theirs[j]!.len <= start) j++
      let k = j
      while (start < end) {
        const t = theirs[k]
        if (!t || t.clock >= end) {
          out.push({ clock: start, len: end - start })
          break
        }
        if (t.clock > start) out.push({ clock: start, len: t.clock - start })
        start = Math.max(start, t.clock + t.len)
        k++
      }
    }
    if (out.length > 0) missing.set(client, out)
  }
  return missing
}

/** A Yjs v1 update with no structs and the given deletions. */
export function encodeDeletionsOnlyUpdate(deletions: Map<number, DeleteRange[]>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  writeDeleteSet(e, [...deletions])
  return encoding.toUint8Array(e)
}
