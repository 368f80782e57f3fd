/**
 * @module A list's search filter that stays fast at 80,000 rows. Every row's folded text (and its
 * numbers' digits) is packed into one string once per list, so a whole pass is one contiguous
 * `indexOf` scan rather than 80,000 strings read from all over the heap. When the query only grew
 * ("ref" → "refu") and the rows that matched before are few, only they are read; a one-letter
 * query is answered by the rows' `charMask`s alone. Same rows as `matchesQuery`, in order.
 */
import type { Conversation } from '@switchboard/core'
import { charMask, maskIsExact } from './char-mask.ts'
import { fold, haystackOf } from './inbox-view.ts'

/** Between two rows' digits in the packed string: not a digit, so no match spans two rows. */
const SEPARATOR = '\u0001'
/** Work of one idle slice of `prepare`, at most (ms). */
const SLICE_MS = 8
/** Rows matched before, times this, fewer than the list: test them one by one rather than scan. */
const FEW_ROWS = 8
/** A scan that found this many rows, more than every other row read, reads the rest one by one. */
const DENSE_AFTER = 64

/** The team's names for contacts [C7] as a filter reads them: renames so far, and a look-up. */
export interface FilterNames {
  /** Renames heard so far: rows read before the last rename are read again. */
  readonly changes: number
  /** A look-up for one pass over a list (null: no name). */
  lookup(): (c: Conversation) => string | null
  /** Listener hears after each rename (a list shown reads its rows again, idle); unsubscribe. */
  onRename?(listener: () => void): () => void
}

const noName = () => null
/** No contact names: every row is matched on the provider's name. */
export const noNames: FilterNames = { changes: 0, lookup: () => noName }

export class QueryFilter {
  #items: readonly Conversation[] | null = null
  /** `FilterNames.changes` when `#items` was read. */
  #namesRead = 0
  #texts: string[] = []
  #masks: Int32Array = new Int32Array(0)
  #digits: string[] = []
  /** Every row's digits, one after the other; `#starts[i]` is where row i's begin. */
  #packed = ''
  #starts: Int32Array = new Int32Array(1)
  /** Every row's text, likewise: one contiguous scan instead of 80,000 strings spread in memory. */
  #packedText = ''
  #textStarts: Int32Array = new Int32Array(1)
  #query = ''
  /** Positions in `#items` of the rows that matched `#query`, ascending: the first `#count`. */
  #matched: Int32Array = new Int32Array(0)
  #count = 0
  /** The buffer the next filter writes to (it reads `#matched`). */
  #spare: Int32Array = new Int32Array(0)
  /** A list being read in idle time (`prepare`). */
  #loading: Loading | null = null

  filter(items: readonly Conversation[], query: string, names = noNames): Conversation[] {
    const q = fold(query.trim())
    const digits = q.replace(/[^\d]/g, '')
    if (items !== this.#items || names.changes !== this.#namesRead)
      this.#read(items, Infinity, names)
    const n = items.length
    const grew = this.#query !== '' && q.startsWith(this.#query)
    // When the query only grew, the rows that matched before are the only ones that can match by
    // text (and by digits, once 3 were typed before): if they are few, read only them.
    const few = grew && this.#count * FEW_ROWS < n
    const prev = this.#matched.subarray(0, this.#count)
    let byText: ArrayLike<number>
    if (maskIsExact(q)) byText = this.#byMask(charMask(q))
    // A query holding the separator (or nothing, once folded) is read row by row, never across two.
    else if (few || q === '' || q.includes(SEPARATOR)) byText = this.#byRow(few ? prev : null, q)
    else {
      const need = charMask(q)
      const masks = this.#masks
      const texts = this.#texts
      byText = scan(
        this.#packedText,
        this.#textStarts,
        q,
        (i) => (masks[i]! & need) === need && texts[i]!.includes(q),
      )
    }
    let byNumber: ArrayLike<number> = []
    if (digits.length >= 3)
      byNumber =
        few && canNarrow(this.#query, q)
          ? prev.filter((i) => this.#digits[i]!.includes(digits))
          : scan(this.#packed, this.#starts, digits, (i) => this.#digits[i]!.includes(digits))
    // Both in order: their union, in order.
    const out = this.#spare
    const rows: Conversation[] = []
    let count = 0
    let t = 0
    let d = 0
    while (t < byText.length || d < byNumber.length) {
      const a = t < byText.length ? byText[t]! : n
      const b = d < byNumber.length ? byNumber[d]! : n
      const i = a < b ? a : b
      if (a === i) t++
      if (b === i) d++
      out[count++] = i
      rows.push(items[i]!)
    }
    this.#spare = this.#matched
    this.#matched = out
    this.#count = count
    this.#query = q
    return rows
  }

  /** The rows whose mask holds every bit of `need`, in order. */
  #byMask(need: number): number[] {
    const masks = this.#masks
    const found: number[] = []
    for (let i = 0; i < masks.length; i++) if ((masks[i]! & need) === need) found.push(i)
    return found
  }

  /** Those of `candidates` (null: every row) whose text contains `q`, in order. */
  #byRow(candidates: Int32Array | null, q: string): number[] {
    const need = charMask(q)
    const masks = this.#masks
    const texts = this.#texts
    const found: number[] = []
    const n = candidates ? candidates.length : texts.length
    for (let k = 0; k < n; k++) {
      const i = candidates ? candidates[k]! : k
      if ((masks[i]! & need) === need && texts[i]!.includes(q)) found.push(i)
    }
    return found
  }

  /**
   * Reads a list's rows ahead of its first key, in idle slices: at 80,000 rows that key would
   * otherwise wait for them (tens of milliseconds). Call it with each list shown.
   */
  prepare(items: readonly Conversation[], names = noNames): void {
    if (items === this.#items && names.changes === this.#namesRead) return
    if (this.#loading?.items === items && this.#loading.changes === names.changes) return
    if (typeof requestIdleCallback !== 'function') return
    this.#loading = loading(items, names)
    const step = (deadline: IdleDeadline) => {
      if (this.#loading?.items !== items) return
      const end = performance.now() + Math.min(deadline.timeRemaining(), SLICE_MS)
      if (!this.#read(items, end, names)) requestIdleCallback(step)
    }
    requestIdleCallback(step)
  }

  /** Reads `items`' rows until `end` (a time), where it left off; true once the list is in use. */
  #read(items: readonly Conversation[], end: number, names: FilterNames): boolean {
    let l = this.#loading
    if (l?.items !== items || l.changes !== names.changes) l = this.#loading = loading(items, names)
    const n = items.length
    // One look-up per pass: with no contact named, a call that returns null per row.
    const nameOf = names.lookup()
    while (l.next < n) {
      const stop = Math.min(n, l.next + 2_000)
      for (let i = l.next; i < stop; i++) {
        const c = items[i]!
        const h = haystackOf(c, nameOf(c))
        l.texts[i] = h.text
        l.masks[i] = h.mask
        l.digits[i] = h.digits
      }
      l.next = stop
      if (l.next < n && performance.now() >= end) return false
    }
    this.#loading = null
    this.#items = items
    this.#namesRead = l.changes
    this.#texts = l.texts
    this.#masks = l.masks
    this.#digits = l.digits
    this.#starts = startsOf(l.digits)
    this.#packed = l.digits.join(SEPARATOR)
    this.#textStarts = startsOf(l.texts)
    this.#packedText = l.texts.join(SEPARATOR)
    this.#matched = new Int32Array(n)
    this.#spare = new Int32Array(n)
    this.#count = 0
    this.#query = ''
    return true
  }
}

/** A list's rows read so far: the first `next`. */
interface Loading {
  items: readonly Conversation[]
  /** `FilterNames.changes` when the pass began. */
  changes: number
  next: number
  texts: string[]
  masks: Int32Array
  digits: string[]
}

function loading(items: readonly Conversation[], names: FilterNames): Loading {
  const n = items.length
  return {
    items,
    changes: names.changes,
    next: 0,
    texts: new Array<string>(n),
    masks: new Int32Array(n),
    digits: new Array<string>(n),
  }
}

/** Where each of `parts` begins once joined with one separator between them, and the end. */
function startsOf(parts: readonly string[]): Int32Array {
  const starts = new Int32Array(parts.length + 1)
  let at = 0
  for (let i = 0; i < parts.length; i++) {
    starts[i] = at
    at += parts[i]!.length + 1
  }
  starts[parts.length] = at
  return starts
}

/**
 * The rows whose part of `packed` contains `q`, in order: one scan of the string, jumping to the
 * next row after each match. `starts[i]` is where row i begins; `starts[n]`, the end. When most
 * rows match, an `indexOf` per row costs more than reading the rows: the rest are then `test`ed.
 */
function scan(
  packed: string,
  starts: Int32Array,
  q: string,
  test: (row: number) => boolean,
): number[] {
  const n = starts.length - 1
  const found: number[] = []
  let row = 0
  let at = packed.indexOf(q)
  while (at >= 0) {
    row = rowAt(starts, at, row)
    found.push(row)
    if (found.length >= DENSE_AFTER && found.length * 2 > row + 1) {
      for (let i = row + 1; i < n; i++) if (test(i)) found.push(i)
      return found
    }
    at = packed.indexOf(q, starts[row + 1]!)
  }
  return found
}

/** The row holding position `at`, at or after row `from`: gallop forward, then halve. */
function rowAt(starts: Int32Array, at: number, from: number): number {
  const last = starts.length - 2
  let lo = from
  let step = 1
  while (lo + step <= last && starts[lo + step]! <= at) {
    lo += step
    step *= 2
  }
  let hi = Math.min(lo + step - 1, last)
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (starts[mid]! <= at) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Text matches only shrink as the query grows; a match by digits starts at 3 digits, so a query
 * that reached 3 digits now may match rows the shorter one did not.
 */
function canNarrow(before: string, after: string): boolean {
  const digits = (s: string) => s.replace(/[^\d]/g, '').length
  return digits(after) < 3 || digits(before) >= 3
}
