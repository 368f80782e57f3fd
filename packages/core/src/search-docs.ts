/**
 * @module What the replica's search indexes, as documents: a conversation's summary (contact
 * name, number, last message), each message and internal note of a conversation held on this
 * device, and each contact (name, tags, properties, notes). Weights rank where a word was found.
 */
import type { Contact } from './contacts.ts'
import type { Activity, Conversation, Note } from './types.ts'
import type { IndexedField, SearchDoc } from './search-index.ts'

export const SearchWeight = {
  Name: 7,
  Number: 6,
  Tag: 5,
  Property: 4,
  ContactNotes: 3,
  Message: 3,
  Note: 2,
  Preview: 2,
} as const

const SEP = '\u001f'

/** Where a hit was found, for the result's label. */
export const SearchDocKind = {
  Conversation: 'c',
  Message: 'm',
  Note: 'n',
  Contact: 'k',
} as const
export type SearchDocKind = (typeof SearchDocKind)[keyof typeof SearchDocKind]

export const searchDocKey = {
  conversation: (id: string) => SearchDocKind.Conversation + SEP + id,
  message: (conversationId: string, activityId: string) =>
    SearchDocKind.Message + SEP + conversationId + SEP + activityId,
  note: (conversationId: string, noteId: string) =>
    SearchDocKind.Note + SEP + conversationId + SEP + noteId,
  contact: (number: string) => SearchDocKind.Contact + SEP + number,
}

export function searchDocKindOf(key: string): SearchDocKind {
  return key[0] as SearchDocKind
}

/** A contact's hits are grouped under its number; a result then opens its conversations. */
export const CONTACT_GROUP = 'tel:'

/** A conversation's summary; `teamName`, the team's name for its contact [C7], before the provider's. */
export function conversationDoc(c: Conversation, teamName: string | null = null): SearchDoc {
  const fields: IndexedField[] = []
  const name = teamName || c.contactName
  if (name) fields.push({ text: name, weight: SearchWeight.Name })
  if (c.participants.length > 0)
    fields.push({ text: c.participants.join(' '), weight: SearchWeight.Number, kind: 'number' })
  if (c.lastActivity?.preview)
    fields.push({ text: c.lastActivity.preview, weight: SearchWeight.Preview })
  return {
    key: searchDocKey.conversation(c.id),
    group: c.id,
    at: c.lastActivity?.at ?? c.createdAt,
    fields,
  }
}

/** A message, call transcript or voicemail of a conversation; null when it has no text. */
export function activityDoc(a: Activity): SearchDoc | null {
  const text = a.body || a.transcript
  if (!text) return null
  return {
    key: searchDocKey.message(a.conversationId, a.id),
    group: a.conversationId,
    at: a.at,
    fields: [{ text, weight: SearchWeight.Message }],
  }
}

export function noteDoc(conversationId: string, n: Note): SearchDoc {
  return {
    key: searchDocKey.note(conversationId, n.id),
    group: conversationId,
    at: n.at,
    fields: [{ text: n.body, weight: SearchWeight.Note }],
  }
}

/** A contact's searchable fields; null when it has none (a number nobody wrote anything about). */
export function contactDoc(c: Contact): SearchDoc | null {
  const fields: IndexedField[] = []
  if (c.name) fields.push({ text: c.name, weight: SearchWeight.Name })
  if (c.tags.length > 0) fields.push({ text: c.tags.join(' '), weight: SearchWeight.Tag })
  const props = Object.entries(c.properties)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')
  if (props) fields.push({ text: props, weight: SearchWeight.Property })
  if (c.notes.trim()) fields.push({ text: c.notes, weight: SearchWeight.ContactNotes })
  if (fields.length === 0) return null
  return { key: searchDocKey.contact(c.number), group: CONTACT_GROUP + c.number, at: 0, fields }
}

/** The label a result shows for the field its snippet comes from. */
export function fieldLabel(kind: SearchDocKind, weight: number): string {
  switch (kind) {
    case SearchDocKind.Message:
      return 'Message'
    case SearchDocKind.Note:
      return 'Internal note'
    case SearchDocKind.Contact:
      return weight === SearchWeight.Tag
        ? 'Tags'
        : weight === SearchWeight.Property
          ? 'Properties'
          : weight === SearchWeight.ContactNotes
            ? 'Contact notes'
            : 'Contact'
    default:
      return 'Last message'
  }
}
