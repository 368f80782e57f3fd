/**
 * @module How text is cut into search terms: case- and accent-folded words, and the digits of a
 * phone number as every suffix, so a prefix look-up finds "555" anywhere in "+14155550142".
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

/** Every suffix of a number's digits from 3 digits long: the terms under which it is found. */
export function numberTerms(number: string): string[] {
  const digits = number.replace(/\D/g, '')
  const out: string[] = []
  for (let i = 0; i + MIN_DIGITS <= digits.length; i++) out.push(digits.slice(i))
  return out
}

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
    const f = fold(ch)
    for (let k = 0; k < f.length; k++) from.push(i)
    folded += f
    i += ch.length
  }
  from.push(text.length)
  return { folded, from }
}
