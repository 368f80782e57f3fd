/**
 * @module A search query carried to the next inbox page: opening a result of another number
 * makes that number's inbox anew, and the person expects their search still there.
 */

/** The most results the search shows. */
export const SEARCH_LIMIT = 50

let carried = ''

export function carryQuery(query: string): void {
  carried = query
}

/** The carried query, once; '' when none. */
export function takeCarriedQuery(): string {
  const q = carried
  carried = ''
  return q
}
