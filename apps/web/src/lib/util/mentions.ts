/** @module @mentions in internal notes: the autocomplete query under the caret, and who is mentioned. */

export interface Mentionable {
  id: string
  name: string
}

/** The `@query` being typed just before `caret`, or null. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret)
  const m = /(^|\s)@([\p{L}\p{N}._-]*)$/u.exec(before)
  if (!m) return null
  const query = m[2] ?? ''
  return { start: caret - query.length - 1, query }
}

/** Members whose name or email-like id starts with the query (case-insensitive), best first. */
export function mentionCandidates<T extends Mentionable>(members: T[], query: string): T[] {
  const q = query.toLowerCase()
  const byName = members.filter((m) =>
    m.name
      .toLowerCase()
      .split(/\s+/)
      .some((w) => w.startsWith(q)),
  )
  return byName.sort((a, b) => a.name.localeCompare(b.name)).slice(0, 8)
}

/** Replace the `@query` at `start` with `@Name `; returns the new text and caret. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  name: string,
): { text: string; caret: number } {
  const token = `@${name} `
  return { text: text.slice(0, start) + token + text.slice(caret), caret: start + token.length }
}

/** Ids of members mentioned as `@Name` in `body`; longest names first so "Al" ≠ "Alice". */
export function mentionedIds(body: string, members: Mentionable[]): string[] {
  const found = new Set<string>()
  const sorted = [...members].sort((a, b) => b.name.length - a.name.length)
  let rest = body
  for (const m of sorted) {
    const re = new RegExp(`(^|\\s)@${escapeRe(m.name)}(?![\\p{L}\\p{N}])`, 'gu')
    if (re.test(rest)) {
      found.add(m.id)
      rest = rest.replace(re, ' ')
    }
  }
  return [...found]
}

/** Split a note into text and mention parts for highlighting. */
export function splitMentions(body: string, names: string[]): { text: string; mention: boolean }[] {
  if (names.length === 0) return [{ text: body, mention: false }]
  const alt = [...names]
    .sort((a, b) => b.length - a.length)
    .map(escapeRe)
    .join('|')
  const re = new RegExp(`@(?:${alt})(?![\\p{L}\\p{N}])`, 'gu')
  const out: { text: string; mention: boolean }[] = []
  let last = 0
  for (const m of body.matchAll(re)) {
    if (m.index > last) out.push({ text: body.slice(last, m.index), mention: false })
    out.push({ text: m[0], mention: true })
    last = m.index + m[0].length
  }
  if (last < body.length) out.push({ text: body.slice(last), mention: false })
  return out
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
