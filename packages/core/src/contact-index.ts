/**
 * @module Each contact's keys in the `contacts` map, kept per document from each transaction's
 * changes, so reading one contact costs its own keys and not a scan of the room, and a change
 * tells its listeners which contacts it touched (fields or notes) instead of "the room changed".
 */
import type * as Y from 'yjs'
import { contactNotesNumber } from './contact-notes.ts'
import { SEP } from './schema.ts'

interface ContactIndex {
  /** number → its keys in the `contacts` map (a few each: arrays build faster than sets). */
  keys: Map<string, string[]>
  /** Root types → their names in `doc.share`, filled again when a root is not found. */
  roots: WeakMap<object, string>
  listeners: Set<(numbers: ReadonlySet<string>) => void>
}

/** The key type of `Transaction.changed`. */
type SharedType = Parameters<Y.Transaction['changed']['get']>[0]

const indexes = new WeakMap<Y.Doc, ContactIndex>()

/** The contact a `contacts` key belongs to: what stands before its first separator. */
function keyNumber(key: string): string | null {
  const cut = key.indexOf(SEP)
  return cut > 0 ? key.slice(0, cut) : null
}

function add(index: ContactIndex, key: string): void {
  const number = keyNumber(key)
  if (number === null) return
  const keys = index.keys.get(number)
  if (!keys) index.keys.set(number, [key])
  else if (!keys.includes(key)) keys.push(key)
}

function remove(index: ContactIndex, key: string): void {
  const number = keyNumber(key)
  const keys = number === null ? undefined : index.keys.get(number)
  const at = keys ? keys.indexOf(key) : -1
  if (at < 0) return
  keys!.splice(at, 1)
  if (keys!.length === 0) index.keys.delete(number!)
}

/** The name of a root type; a root made after the last fill (or replaced by its typed form) refills. */
function rootName(doc: Y.Doc, index: ContactIndex, type: object): string | null {
  const known = index.roots.get(type)
  if (known !== undefined) return known
  for (const [name, root] of doc.share) index.roots.set(root, name)
  return index.roots.get(type) ?? null
}

function contactIndex(doc: Y.Doc): ContactIndex {
  const known = indexes.get(doc)
  if (known) return known
  const fields = doc.getMap<unknown>('contacts')
  const index: ContactIndex = { keys: new Map(), roots: new WeakMap(), listeners: new Set() }
  fields.forEach((_, key) => add(index, key))
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    const changed = new Set<string>()
    for (const [type, keys] of tr.changed) {
      if (type === (fields as unknown as SharedType)) {
        for (const key of keys) {
          if (key === null) continue
          if (fields.has(key)) add(index, key)
          else remove(index, key)
          const number = keyNumber(key)
          if (number !== null) changed.add(number)
        }
      } else if (type._item === null) {
        const name = rootName(doc, index, type)
        const number = name === null ? null : contactNotesNumber(name)
        if (number !== null) changed.add(number)
      }
    }
    if (changed.size > 0) for (const listener of index.listeners) listener(changed)
  })
  indexes.set(doc, index)
  return index
}

/** `number`'s keys in the `contacts` map (none: an empty list). */
export function contactKeys(doc: Y.Doc, number: string): Iterable<string> {
  return contactIndex(doc).keys.get(number) ?? []
}

/**
 * Listener hears, after each transaction that touched contacts, the numbers whose fields or notes
 * it changed (a room rebuilt from scratch is a new document: read it whole).
 */
export function onContactsChange(
  doc: Y.Doc,
  listener: (numbers: ReadonlySet<string>) => void,
): () => void {
  const { listeners } = contactIndex(doc)
  listeners.add(listener)
  return () => listeners.delete(listener)
}
