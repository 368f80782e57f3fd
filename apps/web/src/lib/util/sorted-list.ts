/**
 * @module A list kept in order across changes: a mark on one conversation of 100,000 moves or
 * removes one row (two binary searches and a splice) instead of filtering and sorting them all.
 */

export interface Keyed {
  id: string
}

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
  const out = list.slice()
  for (const [id, next] of changes) {
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
