/**
 * @module Phone numbers for the search index: every number's digits packed into one string and
 * scanned with `indexOf`, so "555" is found anywhere in "+14155550142". One term per suffix
 * would add nine terms per number (900,000 at 100,000 conversations), and a short digit prefix
 * then visits tens of thousands of them; the scan reads 1.2 MB in about a millisecond.
 */
import { MIN_DIGITS } from './search-fold.ts'

export class DigitsTable {
  #packed = ''
  #pending: string[] = []
  /** Packed length once the pending digits are appended. */
  #length = 0
  readonly #starts: number[] = []
  readonly #lens: number[] = []
  /** entry → document number; -1 once removed. */
  #docs: number[] = []
  readonly #weights: number[] = []
  readonly #entriesOf = new Map<number, number[]>()
  #dead = 0

  /** The numbers of `text` (separated by spaces) as entries of document `doc`. */
  add(doc: number, text: string, weight: number): void {
    for (const raw of text.split(/\s+/)) {
      const digits = raw.replace(/\D/g, '')
      if (digits.length < MIN_DIGITS) continue
      const e = this.#docs.length
      this.#starts.push(this.#length)
      this.#lens.push(digits.length)
      this.#docs.push(doc)
      this.#weights.push(weight)
      this.#pending.push(digits)
      this.#length += digits.length + 1
      let list = this.#entriesOf.get(doc)
      if (!list) this.#entriesOf.set(doc, (list = []))
      list.push(e)
    }
  }

  remove(doc: number): void {
    const list = this.#entriesOf.get(doc)
    if (!list) return
    for (const e of list) this.#docs[e] = -1
    this.#dead += list.length
    this.#entriesOf.delete(doc)
  }

  /** Appends what was added; drops removed entries once they are half of the table. */
  prepare(): void {
    if (this.#pending.length > 0) {
      this.#packed += this.#pending.join('|') + '|'
      this.#pending = []
    }
    if (this.#dead > 1_000 && this.#dead * 2 > this.#docs.length) this.#rebuild()
  }

  #rebuild(): void {
    const old = { packed: this.#packed, starts: [...this.#starts], lens: [...this.#lens] }
    const docs = this.#docs
    const weights = [...this.#weights]
    this.#packed = ''
    this.#length = 0
    this.#starts.length = 0
    this.#lens.length = 0
    this.#docs = []
    this.#weights.length = 0
    this.#entriesOf.clear()
    this.#dead = 0
    for (let e = 0; e < docs.length; e++) {
      if (docs[e] === -1) continue
      const start = old.starts[e]!
      this.add(docs[e]!, old.packed.slice(start, start + old.lens[e]!), weights[e]!)
    }
    this.#packed = this.#pending.join('|') + (this.#pending.length ? '|' : '')
    this.#pending = []
  }

  /**
   * Calls `fn` once per live number containing `term`'s digits, with its weight and whether the
   * match runs to the number's end (the whole local number typed, or its last digits).
   */
  find(term: string, fn: (doc: number, weight: number, whole: boolean) => void): void {
    if (term.length < MIN_DIGITS) return
    this.prepare()
    const packed = this.#packed
    const starts = this.#starts
    let i = packed.indexOf(term)
    let lo = 0
    while (i !== -1) {
      // Matches come in order: gallop from the last entry, then halve (thousands of matches).
      let step = 1
      while (lo + step < starts.length && starts[lo + step]! <= i) {
        lo += step
        step *= 2
      }
      let hi = Math.min(lo + step, starts.length) - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1
        if (starts[mid]! <= i) lo = mid
        else hi = mid - 1
      }
      const end = starts[lo]! + this.#lens[lo]!
      const doc = this.#docs[lo]!
      if (doc !== -1) fn(doc, this.#weights[lo]!, i + term.length === end)
      i = packed.indexOf(term, end + 1)
    }
  }
}
