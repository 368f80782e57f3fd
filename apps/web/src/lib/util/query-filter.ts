/**
 * @module A list's search filter that narrows as the person types: when the query only grew
 * ("ref" → "refu") and the list is the same array, the rows that matched before are the only ones
 * that can match now, so only they are tested. At 80,000 open conversations the whole list costs
 * ~20 ms a key; the narrowed one a fraction of it.
 */
import type { Conversation } from '@switchboard/core'
import { fold, queryMatcher } from './inbox-view.ts'

export class QueryFilter {
  #items: readonly Conversation[] | null = null
  #query = ''
  #result: Conversation[] = []

  filter(items: readonly Conversation[], query: string): Conversation[] {
    const q = fold(query.trim())
    const narrowing =
      items === this.#items &&
      this.#query !== '' &&
      q.startsWith(this.#query) &&
      canNarrow(this.#query, q)
    const result = (narrowing ? this.#result : items).filter(queryMatcher(query))
    this.#items = items
    this.#query = q
    this.#result = result
    return result
  }
}

/**
 * Text matches only shrink as the query grows; a match by digits starts at 3 digits, so a query
 * that reached 3 digits now may match rows the shorter one did not.
 */
function canNarrow(before: string, after: string): boolean {
  const digits = (s: string) => s.replace(/[^\d]/g, '').length
  return digits(after) < 3 || digits(before) >= 3
}
