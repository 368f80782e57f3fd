/**
 * @module A small inverted index for the replica's search: each document (a conversation's
 * summary, a message, a contact) belongs to a group (what a result opens), terms are found by
 * prefix, and a query's words must all match within one group (AND), so "refund alice" finds the
 * conversation whose contact is Alice and one of whose messages says "refund". Documents are
 * replaced in place as the replica changes; a replaced one leaves a tombstone that a compaction
 * sweeps out of the postings. Measured against MiniSearch and FlexSearch in bench/README.md.
 */
import { DigitsTable } from './search-digits.ts'
import { words } from './search-fold.ts'

/** One searchable field of a document; `weight` 1–7 ranks where a word was found. */
export interface IndexedField {
  text: string
  weight: number
  /** `number`: indexed by its digits' suffixes (a phone number); default: by words. */
  kind?: 'words' | 'number'
}

export interface SearchDoc {
  key: string
  /** What a hit on this document opens: a conversation id, or a contact's number. */
  group: string
  /** When it happened (ms): the more recent of equally good results comes first. */
  at: number
  fields: IndexedField[]
}

export interface GroupHit {
  group: string
  score: number
  /** The key of the group's best matching document: the one its snippet is taken from. */
  doc: string
  at: number
}

/** The most words of a query that count; the rest is ignored (each word is a pass). */
export const MAX_TERMS = 8

const PREFIX_FACTOR = 0.6
/**
 * A one-character word matches whole words only, and a two-character one stops widening to
 * longer words after this many postings: "t" or "15" would otherwise visit most of the index
 * (60–380 ms at 100,000 conversations) for results the next keystroke replaces.
 */
export const SHORT_PREFIX_BUDGET = 5_000
/** …and after this many longer words. */
export const SHORT_PREFIX_TERMS = 200

export class TextIndex {
  /** doc number → key; undefined once replaced or removed (a tombstone). */
  readonly #keys: (string | undefined)[] = []
  readonly #fields: (IndexedField[] | undefined)[] = []
  readonly #groupOf: number[] = []
  readonly #atOf: number[] = []
  readonly #byKey = new Map<string, number>()
  readonly #groups: string[] = []
  readonly #groupNum = new Map<string, number>()
  /** term → doc number × 8 + weight, in insertion order. */
  readonly #postings = new Map<string, number[]>()
  #sorted: string[] = []
  #unsorted: string[] = []
  #dead = 0
  /** Phone numbers, found by any run of digits with a scan rather than by a term per suffix. */
  readonly #digits = new DigitsTable()
  // Scratch per group, reused across queries; a stamp tells this pass's entries from old ones.
  #stamp = new Int32Array(0)
  #termStamp = new Int32Array(0)
  #termBest = new Float64Array(0)
  #mask = new Int32Array(0)
  #score = new Float64Array(0)
  #bestDoc = new Int32Array(0)
  #bestDocScore = new Float64Array(0)
  #groupAt = new Float64Array(0)
  #pass = 0

  /** Documents held (tombstones excluded). */
  get size(): number {
    return this.#byKey.size
  }

  has(key: string): boolean {
    return this.#byKey.has(key)
  }

  /** The fields a document was indexed with (for its snippet). */
  fields(key: string): readonly IndexedField[] | undefined {
    const n = this.#byKey.get(key)
    return n === undefined ? undefined : this.#fields[n]
  }

  /** Adds or replaces a document; one whose group, time and fields are unchanged is left as is. */
  set(doc: SearchDoc): void {
    const old = this.#byKey.get(doc.key)
    if (old !== undefined) {
      if (
        this.#groups[this.#groupOf[old]!] === doc.group &&
        this.#atOf[old] === doc.at &&
        sameFields(this.#fields[old]!, doc.fields)
      )
        return
      this.#kill(old)
    }
    const n = this.#keys.length
    this.#keys.push(doc.key)
    this.#fields.push(doc.fields)
    this.#groupOf.push(this.#group(doc.group))
    this.#atOf.push(doc.at)
    this.#byKey.set(doc.key, n)
    const best = new Map<string, number>()
    for (const f of doc.fields) {
      const weight = Math.max(1, Math.min(7, Math.round(f.weight)))
      if (f.kind === 'number') {
        this.#digits.add(n, f.text, weight)
        continue
      }
      for (const term of words(f.text)) if ((best.get(term) ?? 0) < weight) best.set(term, weight)
    }
    for (const [term, weight] of best) {
      let list = this.#postings.get(term)
      if (!list) {
        this.#postings.set(term, (list = []))
        this.#unsorted.push(term)
      }
      list.push(n * 8 + weight)
    }
  }

  remove(key: string): void {
    const n = this.#byKey.get(key)
    if (n !== undefined) this.#kill(n)
  }

  #kill(n: number): void {
    this.#byKey.delete(this.#keys[n]!)
    this.#digits.remove(n)
    this.#keys[n] = undefined
    this.#fields[n] = undefined
    this.#dead++
    if (this.#dead > 10_000 && this.#dead > this.#byKey.size) this.compact()
  }

  /** Sweeps tombstones out of the postings, and terms left with none out of the term list. */
  compact(): void {
    for (const [term, list] of this.#postings) {
      const live = list.filter((p) => this.#keys[Math.floor(p / 8)] !== undefined)
      if (live.length === 0) this.#postings.delete(term)
      else if (live.length !== list.length) this.#postings.set(term, live)
    }
    this.#sorted = this.#sorted.filter((t) => this.#postings.has(t))
    this.#unsorted = this.#unsorted.filter((t) => this.#postings.has(t))
    this.#dead = 0
  }

  #group(name: string): number {
    let g = this.#groupNum.get(name)
    if (g === undefined) {
      g = this.#groups.length
      this.#groups.push(name)
      this.#groupNum.set(name, g)
    }
    return g
  }

  /** Merges new terms into the sorted term list: call it off the query path after adding. */
  prepare(): void {
    this.#digits.prepare()
    if (this.#unsorted.length === 0) return
    this.#sorted = mergeSortedStrings(this.#sorted, this.#unsorted.sort())
    this.#unsorted = []
  }

  /** Where the terms starting with `prefix` begin in the sorted term list. */
  #firstFrom(prefix: string): number {
    const sorted = this.#sorted
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid]! < prefix) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #scratch(): void {
    const need = this.#groups.length
    if (this.#stamp.length >= need) return
    const size = Math.max(1024, need * 2)
    this.#stamp = new Int32Array(size)
    this.#termStamp = new Int32Array(size)
    this.#termBest = new Float64Array(size)
    this.#mask = new Int32Array(size)
    this.#score = new Float64Array(size)
    this.#bestDoc = new Int32Array(size)
    this.#bestDocScore = new Float64Array(size)
    this.#groupAt = new Float64Array(size)
  }

  /**
   * The best groups for a query, best first: every word of the query matches a term of one of
   * the group's documents (exactly, or as its prefix at 0.6 of the field's weight; see
   * SHORT_PREFIX_BUDGET for words of one or two characters); the score adds each word's best
   * match; ties go to the most recent.
   */
  search(query: string, limit = 50): GroupHit[] {
    const terms = words(query).slice(0, MAX_TERMS)
    if (terms.length === 0) return []
    this.prepare()
    this.#scratch()
    const touched: number[] = []
    const passBase = this.#pass
    this.#pass += terms.length + 1
    const queryStamp = passBase + terms.length + 1
    for (let ti = 0; ti < terms.length; ti++) {
      const term = terms[ti]!
      const pass = passBase + ti + 1
      const passTouched: number[] = []
      const visit = (n: number, s: number) => {
        if (this.#keys[n] === undefined) return
        const g = this.#groupOf[n]!
        if (ti > 0 && (this.#stamp[g] !== queryStamp || this.#mask[g] !== (1 << ti) - 1)) return
        if (this.#termStamp[g] !== pass) {
          this.#termStamp[g] = pass
          this.#termBest[g] = s
          passTouched.push(g)
          if (ti === 0) {
            this.#stamp[g] = queryStamp
            this.#mask[g] = 0
            this.#score[g] = 0
            this.#bestDocScore[g] = -1
            this.#groupAt[g] = 0
            touched.push(g)
          }
        } else if (s > this.#termBest[g]!) this.#termBest[g] = s
        if (s > this.#bestDocScore[g]!) {
          this.#bestDocScore[g] = s
          this.#bestDoc[g] = n
        }
        if (this.#atOf[n]! > this.#groupAt[g]!) this.#groupAt[g] = this.#atOf[n]!
      }
      if (/^\d+$/.test(term))
        this.#digits.find(term, (n, weight, whole) =>
          visit(n, weight * (whole ? 1 : PREFIX_FACTOR)),
        )
      let visited = 0
      let widened = 0
      const sorted = this.#sorted
      for (let at = this.#firstFrom(term); at < sorted.length; at++) {
        const token = sorted[at]!
        if (!token.startsWith(term)) break
        const exact = token === term
        // The exact word comes first in the sorted range, so it is always read whole.
        if (!exact && term.length === 1) break
        const list = this.#postings.get(token)!
        if (!exact && term.length === 2) {
          if (visited + list.length > SHORT_PREFIX_BUDGET || ++widened > SHORT_PREFIX_TERMS) break
        }
        visited += list.length
        const factor = exact ? 1 : PREFIX_FACTOR
        for (const p of list) visit(Math.floor(p / 8), (p % 8) * factor)
      }
      for (const g of passTouched) {
        this.#mask[g] = this.#mask[g]! | (1 << ti)
        this.#score[g] = this.#score[g]! + this.#termBest[g]!
      }
    }
    const full = (1 << terms.length) - 1
    // The best `limit` in a heap, the worst at its root: thousands of matches (a number's digits)
    // would each shift a sorted top list. Ties go to the group touched first.
    const score = this.#score
    const groupAt = this.#groupAt
    const worse = (x: number, y: number) => {
      const a = touched[x]!
      const b = touched[y]!
      if (score[a] !== score[b]) return score[a]! < score[b]!
      if (groupAt[a] !== groupAt[b]) return groupAt[a]! < groupAt[b]!
      return x > y
    }
    const heap: number[] = []
    for (let k = 0; k < touched.length && limit > 0; k++) {
      if (this.#mask[touched[k]!] !== full) continue
      if (heap.length < limit) {
        let i = heap.push(k) - 1
        while (i > 0) {
          const up = (i - 1) >> 1
          const child = heap[i]!
          if (!worse(child, heap[up]!)) break
          heap[i] = heap[up]!
          heap[up] = child
          i = up
        }
      } else if (worse(heap[0]!, k)) {
        heap[0] = k
        let i = 0
        for (;;) {
          const l = 2 * i + 1
          const r = l + 1
          let w = i
          if (l < heap.length && worse(heap[l]!, heap[w]!)) w = l
          if (r < heap.length && worse(heap[r]!, heap[w]!)) w = r
          if (w === i) break
          const parent = heap[i]!
          heap[i] = heap[w]!
          heap[w] = parent
          i = w
        }
      }
    }
    const top = heap.sort((x, y) => (worse(x, y) ? 1 : -1)).map((k) => touched[k]!)
    return top.map((g) => ({
      group: this.#groups[g]!,
      score: this.#score[g]!,
      doc: this.#keys[this.#bestDoc[g]!]!,
      at: this.#groupAt[g]!,
    }))
  }
}

function sameFields(a: readonly IndexedField[], b: readonly IndexedField[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.text !== y.text || x.weight !== y.weight || (x.kind ?? 'words') !== (y.kind ?? 'words'))
      return false
  }
  return true
}

function mergeSortedStrings(a: string[], b: string[]): string[] {
  if (a.length === 0) return b
  const out: string[] = new Array(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}

/** The folded words of a query, as the index matches them (for highlighting). */
export function queryTerms(query: string): string[] {
  return words(query).slice(0, MAX_TERMS)
}
