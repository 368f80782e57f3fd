/**
 * @module Safe patterns for mutes and rules [F3]: a glob, never a regular expression.
 *
 * An admin types `*verification code*` or a member mutes `#####|######` (5–6 digit short codes).
 * A regex written by a member would run on the relay for every incoming SMS, and a pattern like
 * `(a+)+$` takes exponential time (ReDoS); a glob matched by the loop below takes at most
 * pattern × text steps, and both are bounded.
 */

/** Characters in one alternative of a pattern. */
export const MAX_PATTERN_CHARS = 64
/** Alternatives separated by `|`. */
export const MAX_ALTERNATIVES = 8
/** Characters of a message body a text pattern looks at (the rest is not read). */
export const MAX_MATCHED_CHARS = 2_000

export type PatternCheck = { ok: true; value: string } | { ok: false; message: string }

/** Whether `input` is a pattern a rule may hold: 1–8 alternatives of 1–64 characters. */
export function checkPattern(input: unknown): PatternCheck {
  if (typeof input !== 'string') return { ok: false, message: 'must be a string' }
  const alternatives = input.split('|').map((a) => a.trim())
  if (alternatives.length > MAX_ALTERNATIVES)
    return { ok: false, message: `at most ${MAX_ALTERNATIVES} alternatives separated by |` }
  for (const a of alternatives) {
    if (!a) return { ok: false, message: 'must not be empty (nor an alternative of it)' }
    if (a.length > MAX_PATTERN_CHARS)
      return { ok: false, message: `each alternative is at most ${MAX_PATTERN_CHARS} characters` }
    if (/^\*+$/.test(a)) return { ok: false, message: 'must not match everything' }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f]/.test(a)) return { ok: false, message: 'must not hold control characters' }
  }
  return { ok: true, value: alternatives.join('|') }
}

/**
 * Whether the whole of `text` matches one glob: `*` any run, `?` any one character and, with
 * `digits`, `#` any one digit; the rest literally, case-insensitively. Greedy with one
 * backtrack point (the last `*`): O(pattern × text), whatever the input.
 */
export function globMatch(pattern: string, text: string, digits: boolean): boolean {
  const p = pattern.toLowerCase()
  const t = text.toLowerCase()
  let pi = 0
  let ti = 0
  let star = -1
  let resume = 0
  while (ti < t.length) {
    const c = p[pi]
    if (c === '*') {
      star = pi++
      resume = ti
    } else if (
      c !== undefined &&
      (c === '?' || (digits && c === '#' ? t[ti]! >= '0' && t[ti]! <= '9' : c === t[ti]))
    ) {
      pi++
      ti++
    } else if (star >= 0) {
      pi = star + 1
      ti = ++resume
    } else return false
  }
  while (p[pi] === '*') pi++
  return pi === p.length
}

/** A sender's number against a pattern: the whole number, `#` a digit (`#####` = 5 digits). */
export function senderMatches(pattern: string, sender: string): boolean {
  return pattern.split('|').some((a) => globMatch(a, sender, true))
}

/** A message's text against a pattern: anywhere in it (`code` = `*code*`), `#` literal. */
export function textMatches(pattern: string, text: string): boolean {
  const head = text.slice(0, MAX_MATCHED_CHARS)
  return pattern.split('|').some((a) => globMatch(`*${a}*`, head, false))
}
