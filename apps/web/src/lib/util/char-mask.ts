/**
 * @module Which characters a folded text holds, as 32 bits: one per letter a–z, and six for the
 * digits (0–5 each alone, 6–9 sharing with 0–3). A text can contain a query only if it holds every
 * bit of the query's mask, so most rows are ruled out without reading them.
 */

/** The mask of `s` (folded: lower case, no accents); characters outside a–z and 0–9 add nothing. */
export function charMask(s: string): number {
  let mask = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 97 && c <= 122) mask |= 1 << (c - 97)
    else if (c >= 48 && c <= 57) mask |= 1 << (26 + ((c - 48) % 6))
  }
  return mask
}

/** True when the mask of a one-character query says exactly whether a text contains it. */
export function maskIsExact(query: string): boolean {
  return query.length === 1 && query >= 'a' && query <= 'z'
}
