/**
 * @module How text is cut into search terms: case- and accent-folded words (phone numbers are
 * matched by their digits, search-digits.ts).
 */

/** Lower case without accents: "Élodie" → "elodie". Length may differ from the input's. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
}

const WORD = /[\p{L}\p{N}]+/gu

/** The folded words of a text, each once, in order of first appearance. */
export function words(text: string): string[] {
  const out = new Set<string>()
  for (const m of fold(text).matchAll(WORD)) out.add(m[0])
  return [...out]
}

/** The shortest digit run a number's suffixes are kept for ("555", "0142"). */
export const MIN_DIGITS = 3

/**
 * A text folded character by character, with, for each folded character, the index of the
 * original character it came from: highlights are found in the folded text and shown on the
 * original one.
 */
export function foldWithMap(text: string): { folded: string; from: number[] } {
  let folded = ''
  const from: number[] = []
  let i = 0
  for (const ch of text) {
    // ASCII folds to itself lower-cased; only the rest needs normalize() (a result shows 50 snippets).
    const code = ch.charCodeAt(0)
    const f =
      code < 128 ? (code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : ch) : fold(ch)
    for (let k = 0; k < f.length; k++) from.push(i)
    folded += f
    i += ch.length
  }
  from.push(text.length)
  return { folded, from }
}
