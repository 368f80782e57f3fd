/**
 * @module Bulk actions: one change applied to many conversations as ONE undo step (a selection
 * marked Done, "Mark all read"). Each inbox writes its part in as few Yjs transactions as the
 * relay's frame cap allows (`BULK_CHUNK` conversations each), so 1,000 marks are one update, one
 * storage append and one socket message, not 1,000. The marks themselves are the ordinary ones
 * (single writer per key, latest intent wins [M2]): a bulk Done is 1,000 Done marks, merged one
 * by one with whatever teammates did meanwhile.
 */
import {
  assignConversation,
  getConversation,
  markConversation,
  snoozeConversation,
  type SnoozeUntil,
  pinConversation,
  unpinConversation,
  type Author,
  type Conversation,
  type MarkKind,
} from '@switchboard/core'
import type * as Y from 'yjs'

/**
 * What a bulk action does to each conversation. The kinds are listed here on purpose: a new lane
 * (snooze) adds its change here, in `changesNothing` and in `writeChange`, and every bulk caller
 * (the web's bulk bar, undo) gets it.
 */
export type BulkChange =
  | { kind: MarkKind }
  | { kind: 'pin' | 'unpin' }
  | { kind: 'assign'; memberId: string | null }
  /** [Z1] Snoozed until a time (ms) or the customer's reply; an unread one is read first. */
  | { kind: 'snooze'; until: SnoozeUntil }

/** A conversation of one of the member's numbers. */
export interface ConversationRef {
  phoneNumberId: string
  conversationId: string
}

export interface BulkResult {
  /** Conversations found among those asked (an unknown id is skipped, not an error). */
  count: number
  /** Of those, the ones the change wrote to; the others already were as asked. */
  changed: number
}

/**
 * Conversations per transaction: about 400 bytes of update each (two lanes and a history entry),
 * so a chunk stays well under the relay's 1 MiB frame cap (MAX_FRAME_BYTES), which refuses a
 * bigger update with 4413 and would drop the whole change.
 */
export const BULK_CHUNK = 1000

/**
 * True when the conversation already is as the change would leave it: no mark is written (no
 * bytes, no audit line) and it is no part of the undo step. Derived state as §1 says: Done and
 * Open clear Unread; Unread reopens.
 */
export function changesNothing(c: Conversation, change: BulkChange): boolean {
  switch (change.kind) {
    case 'done':
      return c.status === 'done' && !c.unread
    case 'open':
      return c.status === 'open' && !c.unread
    case 'unread':
      return c.status === 'open' && c.unread
    case 'read':
      return !c.unread
    case 'pin':
      return c.pinned
    case 'unpin':
      return !c.pinned
    case 'assign':
      return c.assignee === change.memberId
    case 'snooze':
      return (
        c.snooze !== null &&
        !c.snooze.wokenBy &&
        c.snooze.until === (change.until === 'reply' ? null : change.until)
      )
  }
}

/** Writes one conversation's part of a bulk change (inside the caller's transaction). */
export function writeChange(
  doc: Y.Doc,
  id: string,
  change: BulkChange,
  author: Author,
  origin: object,
): void {
  switch (change.kind) {
    case 'pin':
      pinConversation(doc, id, author, origin)
      return
    case 'unpin':
      unpinConversation(doc, id, author, origin)
      return
    case 'assign':
      assignConversation(doc, id, change.memberId, author, origin)
      return
    case 'snooze':
      // As a single snooze: put away read, so it leaves the unread badge while away.
      if (getConversation(doc, id)?.unread) markConversation(doc, id, 'read', author, origin)
      snoozeConversation(doc, id, change.until, author, origin)
      return
    default:
      markConversation(doc, id, change.kind, author, origin)
  }
}

/** `items` in runs of `size`, in order. */
export function chunks<T>(items: readonly T[], size = BULK_CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Conversation references grouped by phone number, each group in the order given. */
export function byPhoneNumber<T extends { phoneNumberId: string }>(
  refs: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const ref of refs) {
    const group = groups.get(ref.phoneNumberId)
    if (group) group.push(ref)
    else groups.set(ref.phoneNumberId, [ref])
  }
  return groups
}
