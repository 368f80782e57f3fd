/**
 * @module Snoozing a conversation: the author's own entry on the snooze lane [Z1], and the
 * document-level questions the views ask with an explicit `now` [Z5].
 */
import type * as Y from 'yjs'
import { assert } from './assert.ts'
import { writeLanes } from './inbox.ts'
import { inboxIndex } from './inbox-index.ts'
import { Lane, type MarkEntry } from './schema.ts'
import { encodeSnoozeUntil, nextWake, type SnoozeUntil } from './snooze-rules.ts'
import type { Author } from './types.ts'

/**
 * Snoozes a conversation until `until` (ms) or until the customer replies. Stamped after the
 * status and flag winners its replica holds, so a snooze made after a Done sorts after it [M3].
 */
export function snoozeConversation(
  doc: Y.Doc,
  id: string,
  until: SnoozeUntil,
  author: Author,
  origin: unknown = null,
): MarkEntry {
  assert(
    until === 'reply' || (Number.isSafeInteger(until) && until > 0),
    `snooze: until must be a time in ms or 'reply', got ${String(until)}`,
  )
  const value = encodeSnoozeUntil(until)
  return writeLanes(
    doc,
    id,
    [{ lane: Lane.Snooze, kind: 'snooze', value }],
    'snooze',
    author,
    origin,
    [Lane.Status, Lane.Flag],
  )
}

/** Clears a snooze: the conversation is back where its status puts it [Z1]. */
export function unsnoozeConversation(
  doc: Y.Doc,
  id: string,
  author: Author,
  origin: unknown = null,
): MarkEntry {
  return writeLanes(doc, id, [{ lane: Lane.Snooze, kind: 'unsnooze' }], 'unsnooze', author, origin)
}

/** The next time after `now` a snooze of this inbox wakes by itself: derive the views again then. */
export function inboxNextWake(doc: Y.Doc, now: number): number | null {
  const idx = inboxIndex(doc)
  const snoozed = []
  for (const id of idx.snoozed) {
    const c = idx.derived.get(id)
    if (c) snoozed.push(c)
  }
  return nextWake(snoozed, now)
}
