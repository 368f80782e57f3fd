/** @module Which members a note's "@bob" words mention, matched by name, email or id. */
import type { Member } from './types.ts'

const MENTION = /@([A-Za-z0-9_.-]+)/g

/** Member ids mentioned in `body`; unknown handles are left out. */
export function mentionedMembers(body: string, members: readonly Member[]): string[] {
  const out = new Set<string>()
  for (const m of body.matchAll(MENTION)) {
    const handle = m[1]!.replace(/\.+$/, '').toLowerCase()
    const found = members.find(
      (member) =>
        member.id.toLowerCase() === handle ||
        member.name.toLowerCase() === handle ||
        member.name.toLowerCase().split(/\s+/)[0] === handle ||
        member.email.toLowerCase().split('@')[0] === handle,
    )
    if (found) out.add(found.id)
  }
  return [...out]
}
