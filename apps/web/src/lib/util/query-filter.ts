/**
 * @module A list's search filter that narrows as the person types: when the query only grew
 * ("ref" → "refu") and the list is the same array, the rows that matched before are the only ones
 * that can match now, so only they are tested. A whole pass over the same list reads the folded
 * texts from arrays kept beside it, not from the per-conversation cache (a look-up per row).
 */
import type { Conversation } from '@switchboard/core'
import { fold, haystackOf } from './inbox-view.ts'

export class QueryFilter {
  #items: readonly Conversation[] | null = null
  #texts: string[] = []
  #digits: string[] = []
  #query = ''
  /** Positions in `#items` of the rows that matched `#query`. */
  #matched: number[] = []

  filter(items: readonly Conversation[], query: string): Conversation[] {
    const q = fold(query.trim())
    const digits = q.replace(/[^\d]/g, '')
    if (items !== this.#items) {
      this.#items = items
      this.#texts = items.map((c) => haystackOf(c).text)
      this.#digits = items.map((c) => haystackOf(c).digits)
      this.#query = ''
    }
    const grew = this.#query !== '' && q.startsWith(this.#query)
    const texts = this.#texts
    const numbers = this.#digits
    const matched: number[] = []
    const test = (i: number) => {
      if (texts[i]!.includes(q) || (digits.length >= 3 && numbers[i]!.includes(digits)))
        matched.push(i)
    }
    if (grew && canNarrow(this.#query, q)) for (const i of this.#matched) test(i)
    else if (grew) {
      // The third digit: text matches still narrow, digit matches are looked for in every row.
      const before = new Uint8Array(items.length)
      for (const i of this.#matched) before[i] = 1
      for (let i = 0; i < items.length; i++)
        if ((before[i] && texts[i]!.includes(q)) || numbers[i]!.includes(digits)) matched.push(i)
    } else for (let i = 0; i < items.length; i++) test(i)
    this.#query = q
    this.#matched = matched
    return matched.map((i) => items[i]!)
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
