/**
 * @module Per-root quotas [M8]: roots every member writes and every member downloads (a team's
 * contacts, a conversation's notes) hold at most so many bytes, so one member cannot make
 * everyone's replica carry megabytes of junk.
 */
import type * as Y from 'yjs'

/** Bytes of live keys and values (as JSON) a root may hold, by room kind and root. */
export const ROOT_QUOTAS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  contacts: { contacts: 4 * 1024 * 1024 },
  conversation: { notes: 1024 * 1024 },
}

export function entryBytes(key: string, value: unknown): number {
  return key.length + (value === undefined ? 0 : JSON.stringify(value).length)
}

const totals = new WeakMap<Y.Doc, Map<string, { bytes: number }>>()

/**
 * The bytes a map root holds now. Counted once per document, then kept by an observer of the
 * root, so a check costs nothing per update.
 */
export function rootBytes(doc: Y.Doc, root: string): number {
  let byRoot = totals.get(doc)
  if (!byRoot) totals.set(doc, (byRoot = new Map()))
  const known = byRoot.get(root)
  if (known) return known.bytes
  const map = doc.getMap<unknown>(root)
  const total = { bytes: 0 }
  map.forEach((value, key) => (total.bytes += entryBytes(key, value)))
  map.observe((event) => {
    for (const [key, change] of event.changes.keys) {
      if (change.action !== 'add') total.bytes -= entryBytes(key, change.oldValue)
      if (change.action !== 'delete') total.bytes += entryBytes(key, map.get(key))
    }
  })
  byRoot.set(root, total)
  return total.bytes
}
