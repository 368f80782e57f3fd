/** @module A conversation's own document: its activities and internal notes, loaded when opened. */
import type * as Y from 'yjs'
import { assert } from './assert.ts'
import { isValidId } from './rooms.ts'
import type { Activity, Note } from './types.ts'

export const conversationRoots = {
  activities: (doc: Y.Doc) => doc.getMap<Activity>('activities'),
  notes: (doc: Y.Doc) => doc.getMap<Note>('notes'),
}

export const MENTION_RE = /@([A-Za-z0-9_.-]+)/g

/** Adds an activity; false when it was already there (webhooks may be delivered twice). */
export function appendActivity(doc: Y.Doc, activity: Activity, origin: unknown = null): boolean {
  const activities = conversationRoots.activities(doc)
  if (activities.has(activity.id)) return false
  doc.transact(() => activities.set(activity.id, activity), origin)
  return true
}

/** Activities oldest first. */
export function listActivities(doc: Y.Doc): Activity[] {
  return [...conversationRoots.activities(doc).values()].sort(
    (a, b) => a.at - b.at || (a.id < b.id ? -1 : 1),
  )
}

export interface NoteInput {
  author: string
  body: string
  mentions: string[]
  id?: string
  at?: number
}

let noteCounter = 0

export function addNote(doc: Y.Doc, input: NoteInput, origin: unknown = null): Note {
  assert(input.body.trim().length > 0, 'addNote: body must not be empty')
  assert(input.body.length <= 10_000, 'addNote: body is longer than 10,000 characters')
  const at = input.at ?? Date.now()
  const id =
    input.id ?? `n${at.toString(36)}${(noteCounter++).toString(36)}${doc.clientID.toString(36)}`
  assert(isValidId(id), `addNote: invalid note id ${JSON.stringify(id)}`)
  const note: Note = {
    id,
    author: input.author,
    body: input.body,
    mentions: [...new Set(input.mentions)],
    at,
  }
  doc.transact(() => conversationRoots.notes(doc).set(id, note), origin)
  return note
}

export function listNotes(doc: Y.Doc): Note[] {
  return [...conversationRoots.notes(doc).values()].sort(
    (a, b) => a.at - b.at || (a.id < b.id ? -1 : 1),
  )
}
