/**
 * @module Contacts' names as the team wrote them [C7], kept in a map per document and updated from
 * each transaction's changed keys, so naming a conversation costs one map look-up and a rename
 * tells its listeners which numbers changed, not "something in the contacts room did".
 */
import type * as Y from 'yjs'
import { contactRoots } from './contacts.ts'
import { SEP } from './schema.ts'

const NAME = SEP + 'name'

interface NamesIndex {
  names: Map<string, string>
  listeners: Set<(numbers: ReadonlySet<string>) => void>
}

/** The key type of `Transaction.changed`. */
type SharedType = Parameters<Y.Transaction['changed']['get']>[0]

const indexes = new WeakMap<Y.Doc, NamesIndex>()

/** The number a `contacts` key names (`<number>␟name`); null for any other key. */
export function nameKeyNumber(key: string): string | null {
  if (!key.endsWith(NAME)) return null
  const number = key.slice(0, -NAME.length)
  // `<number>␟prop␟name` ends the same way; a number never holds the separator.
  return number.length > 0 && !number.includes(SEP) ? number : null
}

function readName(fields: Y.Map<string | boolean | null>, key: string): string | null {
  const value = fields.get(key)
  // A name cleared (null) or emptied is no name: the conversation falls back to the provider's.
  return typeof value === 'string' && value.trim() !== '' ? value : null
}

function namesIndex(doc: Y.Doc): NamesIndex {
  const known = indexes.get(doc)
  if (known) return known
  const fields = contactRoots.fields(doc)
  const index: NamesIndex = { names: new Map(), listeners: new Set() }
  fields.forEach((_, key) => {
    const number = nameKeyNumber(key)
    const name = number === null ? null : readName(fields, key)
    if (number !== null && name !== null) index.names.set(number, name)
  })
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    const keys = tr.changed.get(fields as unknown as SharedType)
    if (!keys) return
    const changed = new Set<string>()
    for (const key of keys) {
      const number = key === null ? null : nameKeyNumber(key)
      if (number === null) continue
      const name = readName(fields, key!)
      if (name === (index.names.get(number) ?? null)) continue
      if (name === null) index.names.delete(number)
      else index.names.set(number, name)
      changed.add(number)
    }
    if (changed.size > 0) for (const listener of index.listeners) listener(changed)
  })
  indexes.set(doc, index)
  return index
}

/** [C7] The name the team gave the contact `number`; null when none (or it was cleared). */
export function contactNameOf(doc: Y.Doc, number: string): string | null {
  const names = namesIndex(doc).names
  return names.size === 0 ? null : (names.get(number) ?? null)
}

/** [C7] Every contact the team named: number → name. */
export function contactNames(doc: Y.Doc): ReadonlyMap<string, string> {
  return namesIndex(doc).names
}

/** Listener hears, after each transaction that renamed contacts, the numbers renamed. */
export function onContactNamesChange(
  doc: Y.Doc,
  listener: (numbers: ReadonlySet<string>) => void,
): () => void {
  const { listeners } = namesIndex(doc)
  listeners.add(listener)
  return () => listeners.delete(listener)
}
