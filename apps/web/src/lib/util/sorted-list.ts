/**
 * @module A list kept in order across changes: a mark on one conversation of 100,000 moves or
 * removes one row (two binary searches and a splice) instead of filtering and sorting them all.
 */

export interface Keyed {
  id: string
}

/**
 * More changes than this: one pass over the list (drop the old entries, merge the new ones in)
 * beats a splice per change, each of which moves the whole tail (a bulk Done of 1,000 rows).
 */
const SPLICE_MAX = 32

/** The first index whose item does not sort before `item`. */
export function lowerBound<T>(
  list: readonly T[],
  item: T,
  compare: (a: T, b: T) => number,
): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(list[mid]!, item) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A new list: `list` (sorted by `compare`, a total order, one entry per id, as `index` maps them)
 * with each changed id's old entry taken out and its new one (null: gone) put in place when it
 * passes `keep`. `index` is updated to the new list. Returns null when `index` does not match
 * `list`, so the caller rebuilds.
 */
export function patchSorted<T extends Keyed>(
  list: readonly T[],
  index: Map<string, T>,
  changes: Iterable<readonly [string, T | null]>,
  keep: (item: T) => boolean,
  compare: (a: T, b: T) => number,
): T[] | null {
  const all = [...changes]
  if (all.length > SPLICE_MAX) return mergePatch(list, index, all, keep, compare)
  const out = list.slice()
  for (const [id, next] of all) {
    const prev = index.get(id)
    if (prev) {
      const i = lowerBound(out, prev, compare)
      if (out[i] !== prev) return null
      out.splice(i, 1)
      index.delete(id)
    }
    if (next && keep(next)) {
      out.splice(lowerBound(out, next, compare), 0, next)
      index.set(id, next)
    }
  }
  return out
}

/** `patchSorted` for many changes, in O(list + changes · log changes): filter, sort, merge. */
function mergePatch<T extends Keyed>(
  list: readonly T[],
  index: Map<string, T>,
  changes: readonly (readonly [string, T | null])[],
  keep: (item: T) => boolean,
  compare: (a: T, b: T) => number,
): T[] | null {
  // The last change of an id is its state now.
  const latest = new Map(changes)
  const leaving = new Set<T>()
  for (const id of latest.keys()) {
    const prev = index.get(id)
    if (prev) leaving.add(prev)
    index.delete(id)
  }
  const kept = leaving.size > 0 ? list.filter((item) => !leaving.has(item)) : list.slice()
  if (kept.length !== list.length - leaving.size) return null
  const added: T[] = []
  for (const [id, next] of latest) {
    if (!next || !keep(next)) continue
    added.push(next)
    index.set(id, next)
  }
  if (added.length === 0) return kept
  added.sort(compare)
  const out: T[] = new Array(kept.length + added.length)
  let i = 0
  let j = 0
  for (let k = 0; k < out.length; k++)
    out[k] =
      j >= added.length || (i < kept.length && compare(kept[i]!, added[j]!) <= 0)
        ? kept[i++]!
        : added[j++]!
  return out
}
