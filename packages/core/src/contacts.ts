/**
 * @module The team's contacts: name, notes, tags and properties per outside number.
 * Each field is its own key, so two teammates editing different fields both keep their edit;
 * notes are a shared text of their own (contact-notes.ts), merged character by character.
 */
import type * as Y from 'yjs'
import { contactKeys } from './contact-index.ts'
import { contactNotesNumbers, readContactNotes, setContactNotes } from './contact-notes.ts'
import { SEP } from './schema.ts'

export interface Contact {
  number: string
  name: string | null
  notes: string
  tags: string[]
  properties: Record<string, string>
}

export interface ContactPatch {
  name?: string | null
  notes?: string
  tags?: { add?: string[]; remove?: string[] }
  properties?: Record<string, string | null>
}

/**
 * Keys: `<number>␟name`, `<number>␟tag␟<tag>`, `<number>␟prop␟<key>`, and `<number>␟notes`,
 * the string notes written before notes were shared text [C5] (read until the text is started).
 */
export const contactRoots = {
  fields: (doc: Y.Doc) => doc.getMap<string | boolean | null>('contacts'),
}

export function updateContact(
  doc: Y.Doc,
  number: string,
  patch: ContactPatch,
  origin: unknown = null,
): void {
  const fields = contactRoots.fields(doc)
  doc.transact(() => {
    // First: notes over the cap throw before any other field is written.
    if (patch.notes !== undefined) setContactNotes(doc, number, patch.notes)
    if (patch.name !== undefined) fields.set(number + SEP + 'name', patch.name)
    for (const tag of patch.tags?.add ?? []) fields.set(number + SEP + 'tag' + SEP + tag, true)
    for (const tag of patch.tags?.remove ?? []) fields.set(number + SEP + 'tag' + SEP + tag, false)
    for (const [key, value] of Object.entries(patch.properties ?? {}))
      fields.set(number + SEP + 'prop' + SEP + key, value)
  }, origin)
}

function blank(number: string): Contact {
  return { number, name: null, notes: '', tags: [], properties: {} }
}

function apply(contact: Contact, parts: string[], value: string | boolean | null): void {
  if (parts[0] === 'name') contact.name = typeof value === 'string' ? value : null
  else if (parts[0] === 'tag' && parts[1] && value === true) contact.tags.push(parts[1])
  else if (parts[0] === 'prop' && parts[1] && typeof value === 'string')
    contact.properties[parts[1]] = value
}

export function getContact(doc: Y.Doc, number: string): Contact {
  const contact = blank(number)
  const fields = contactRoots.fields(doc)
  // Its own keys only: a scan of the room per read is a scan per keystroke at 100,000 contacts.
  for (const key of contactKeys(doc, number))
    apply(contact, key.slice(number.length + 1).split(SEP), fields.get(key) ?? null)
  contact.notes = readContactNotes(doc, number)
  contact.tags.sort()
  return contact
}

export function listContacts(doc: Y.Doc): Contact[] {
  const byNumber = new Map<string, Contact>()
  contactRoots.fields(doc).forEach((value, key) => {
    const [number, ...rest] = key.split(SEP)
    if (!number) return
    let contact = byNumber.get(number)
    if (!contact) byNumber.set(number, (contact = blank(number)))
    apply(contact, rest, value)
  })
  for (const number of contactNotesNumbers(doc))
    if (!byNumber.has(number)) byNumber.set(number, blank(number))
  for (const contact of byNumber.values()) {
    contact.notes = readContactNotes(doc, contact.number)
    contact.tags.sort()
  }
  return [...byNumber.values()].sort((a, b) => a.number.localeCompare(b.number))
}
