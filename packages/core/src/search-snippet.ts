/**
 * @module The piece of a matching text a result shows, cut into plain and marked parts: a
 * component renders the marked parts as `<mark>` (never as HTML, so a message cannot inject any).
 */
import { foldWithMap } from './search-fold.ts'

export interface Segment {
  text: string
  mark: boolean
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u

/**
 * Where the query's terms occur in `text`, as [start, end) ranges of the original text, sorted and
 * merged: a word term at the start of a word (the index matches words by prefix), a digit term
 * anywhere in the text's digits, across the spaces and dashes of a formatted number.
 */
export function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  const ranges: [number, number][] = []
  const { folded, from } = foldWithMap(text)
  let digits: { text: string; at: number[] } | null = null
  for (const term of terms) {
    if (!term) continue
    if (/^\d+$/.test(term)) {
      digits ??= digitsOf(text)
      for (let i = digits.text.indexOf(term); i !== -1; i = digits.text.indexOf(term, i + 1))
        ranges.push([digits.at[i]!, digits.at[i + term.length - 1]! + 1])
      continue
    }
    for (let i = folded.indexOf(term); i !== -1; i = folded.indexOf(term, i + 1)) {
      if (i > 0 && LETTER_OR_DIGIT.test(folded[i - 1]!)) continue
      ranges.push([from[i]!, from[i + term.length]!])
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const merged: [number, number][] = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
    else merged.push([r[0], r[1]])
  }
  return merged
}

function digitsOf(text: string): { text: string; at: number[] } {
  let out = ''
  const at: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      out += text[i]
      at.push(i)
    }
  }
  return { text: out, at }
}

/**
 * A window of about `width` characters of `text` around its first match, with "…" where it was
 * cut, as segments; the whole text, unmarked, when nothing matches.
 */
export function snippet(text: string, terms: readonly string[], width = 120): Segment[] {
  const flat = text.replace(/\s+/g, ' ').trim()
  const ranges = matchRanges(flat, terms)
  let start = 0
  let end = flat.length
  if (flat.length > width) {
    const first = ranges[0]?.[0] ?? 0
    start = Math.max(0, Math.min(first - Math.floor(width / 3), flat.length - width))
    // Start at a word's beginning rather than in its middle.
    if (start > 0) {
      const space = flat.indexOf(' ', start)
      if (space !== -1 && space < first) start = space + 1
    }
    end = Math.min(flat.length, start + width)
  }
  const out: Segment[] = []
  const push = (s: string, mark: boolean) => {
    if (s) out.push({ text: s, mark })
  }
  let at = start
  for (const [a, b] of ranges) {
    if (b <= start || a >= end) continue
    push(flat.slice(at, Math.max(at, a)), false)
    push(flat.slice(Math.max(at, a), Math.min(b, end)), true)
    at = Math.min(b, end)
  }
  push(flat.slice(at, end), false)
  if (start > 0) out.unshift({ text: '…', mark: false })
  if (end < flat.length) out.push({ text: '…', mark: false })
  return out
}
