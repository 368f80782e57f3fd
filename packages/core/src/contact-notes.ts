/**
 * @module A contact's notes as one shared text [C1]–[C6]: a root Y.Text per contact number in
 * the contacts room, edited by any member who writes contacts, merged character by character.
 *
 * A root, not a text inside the `contacts` map: a root exists by its name on every replica, so
 * two teammates writing a contact's first note at once edit one text; two map values created at
 * once would leave one of them, and the other teammate's typing, out.
 */
import type * as Y from 'yjs'
import { SEP } from './schema.ts'

/** Characters (UTF-16 code units, as JavaScript counts them) one contact's notes may hold [C3]. */
export const CONTACT_NOTES_MAX_CHARS = 10_000
/** Characters every contact's notes of the room may hold together [C3]. */
export const CONTACT_NOTES_TOTAL_CHARS = 4 * 1024 * 1024

const PREFIX = 'contactNotes' + SEP
/** A contact number as the contacts map keys it: 1–128 characters, no control character. */
export function isContactNumber(number: unknown): number is string {
  if (typeof number !== 'string' || number.length < 1 || number.length > 128) return false
  for (let i = 0; i < number.length; i++) {
    const code = number.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return false
  }
  return true
}

/** The root holding `number`'s notes: `contactNotes␟<number>`. */
export function contactNotesRoot(number: string): string {
  return PREFIX + number
}

/** The contact number a root holds the notes of; null when it is not a contact notes root. */
export function contactNotesNumber(root: string): string | null {
  if (!root.startsWith(PREFIX)) return null
  const number = root.slice(PREFIX.length)
  return isContactNumber(number) ? number : null
}

export function contactNotesText(doc: Y.Doc, number: string): Y.Text {
  return doc.getText(contactNotesRoot(number))
}

/** Whether the shared text was ever written (deleted text included): then it is the notes. */
function started(doc: Y.Doc, number: string): boolean {
  return (doc.share.get(contactNotesRoot(number))?._start ?? null) !== null
}

const legacyKey = (number: string) => number + SEP + 'notes'

/** The string notes of a contact written before notes were shared text [C5]. */
function legacyNotes(doc: Y.Doc, number: string): string {
  const value = doc.getMap<unknown>('contacts').get(legacyKey(number))
  return typeof value === 'string' ? value : ''
}

/** The notes as shown: the shared text once written, else the old string value [C5]. */
export function readContactNotes(doc: Y.Doc, number: string): string {
  return started(doc, number) ? contactNotesText(doc, number).toString() : legacyNotes(doc, number)
}

/** An edit of a text: at `index`, remove `remove` characters and insert `insert`. */
export interface TextEdit {
  index: number
  remove: number
  insert: string
}

/** The one edit that turns `before` into `after` (common start and end kept); null if equal. */
export function textEdit(before: string, after: string): TextEdit | null {
  if (before === after) return null
  let start = 0
  const shortest = Math.min(before.length, after.length)
  while (start < shortest && before[start] === after[start]) start++
  let end = 0
  while (
    end < shortest - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++
  return {
    index: start,
    remove: before.length - start - end,
    insert: after.slice(start, after.length - end),
  }
}

/** Where position `pos` of a text is after `edit`: text inserted or removed before it moves it. */
export function indexAfter(pos: number, edit: TextEdit): number {
  if (pos <= edit.index) return pos
  if (pos >= edit.index + edit.remove) return pos - edit.remove + edit.insert.length
  return edit.index + edit.insert.length
}

/**
 * `edit`, made on the text `basis`, moved onto `current` (the text with a teammate's edits that
 * arrived since): a field's keystroke lands where it was typed, and removes nothing it did not.
 */
export function rebaseEdit(edit: TextEdit, basis: string, current: string): TextEdit {
  const since = textEdit(basis, current)
  if (!since) return edit
  const index = indexAfter(edit.index, since)
  const end = Math.max(index, indexAfter(edit.index + edit.remove, since))
  return { index, remove: end - index, insert: edit.insert }
}

/**
 * Applies `edit` to `number`'s notes as shown by `readContactNotes`. The first edit of a contact
 * whose notes are an old string starts the text with that string [C5]. Throws a RangeError when
 * the notes would pass CONTACT_NOTES_MAX_CHARS: the relay would refuse them [C3].
 */
export function editContactNotes(
  doc: Y.Doc,
  number: string,
  edit: TextEdit,
  origin: unknown = null,
): void {
  if (!isContactNumber(number)) throw new RangeError(`not a contact number: ${number}`)
  const current = readContactNotes(doc, number)
  const index = Math.max(0, Math.min(edit.index, current.length))
  const remove = Math.max(0, Math.min(edit.remove, current.length - index))
  if (current.length - remove + edit.insert.length > CONTACT_NOTES_MAX_CHARS)
    throw new RangeError(`notes hold at most ${CONTACT_NOTES_MAX_CHARS} characters`)
  if (remove === 0 && edit.insert === '') return
  const text = contactNotesText(doc, number)
  doc.transact(() => {
    if (!started(doc, number) && current !== '') text.insert(0, current)
    if (remove > 0) text.delete(index, remove)
    if (edit.insert !== '') text.insert(index, edit.insert)
  }, origin)
}

/** Makes `number`'s notes read `notes` by the smallest edit (what a text field's input gives). */
export function setContactNotes(
  doc: Y.Doc,
  number: string,
  notes: string,
  origin: unknown = null,
): void {
  const edit = textEdit(readContactNotes(doc, number), notes)
  if (edit) editContactNotes(doc, number, edit, origin)
}

/** The numbers whose notes are shared text in `doc`. */
export function contactNotesNumbers(doc: Y.Doc): string[] {
  const out: string[] = []
  for (const [root, type] of doc.share) {
    const number = contactNotesNumber(root)
    if (number !== null && type._start !== null) out.push(number)
  }
  return out
}
