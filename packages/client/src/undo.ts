/**
 * @module Undo: one stack per replica, holding this device's undoable changes in the order made.
 *
 * A step records the state a conversation had just before a change; undoing it writes a
 * compensating mark back to that state, never a rewrite. If Alice undoes her Done while Bob
 * had meanwhile marked Unread, her compensating Open is simply the newest intent (P2). The read
 * that opening a conversation causes is not a step (`{ undoable: false }`): after Done, a new SMS
 * and opening the thread, undo restores what was before Done instead of marking Unread again.
 * An explicit read (a bulk "Mark read") is a step. Undoing is not itself a step.
 */
import {
  assignConversation,
  markConversation,
  pinConversation,
  snoozeConversation,
  unpinConversation,
  unsnoozeConversation,
  type Author,
  type Conversation,
  type MarkKind,
} from '@switchboard/core'
import type * as Y from 'yjs'

/** The most steps kept; the oldest go first. */
const UNDO_LIMIT = 50

/** What a step restores: the conversation's state, pin and assignee just before the change. */
export type UndoSnapshot = Pick<Conversation, 'status' | 'unread' | 'pinned' | 'assignee'> & {
  /** The counting snooze [Z2]; absent in steps made before snoozes existed. */
  snooze?: Conversation['snooze']
}

export interface UndoStep {
  phoneNumberId: string
  conversationId: string
  before: UndoSnapshot
}

export function snapshot(c: Conversation): UndoSnapshot {
  return {
    status: c.status,
    unread: c.unread,
    pinned: c.pinned,
    assignee: c.assignee,
    snooze: c.snooze,
  }
}

export class UndoStack {
  private steps: UndoStep[] = []

  push(step: UndoStep): void {
    this.steps.push(step)
    if (this.steps.length > UNDO_LIMIT) this.steps.shift()
  }

  /** Takes the newest step, or the newest of one conversation when `of` names it. */
  take(of?: { phoneNumberId: string; conversationId: string }): UndoStep | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i]!
      if (!of || (s.phoneNumberId === of.phoneNumberId && s.conversationId === of.conversationId))
        return this.steps.splice(i, 1)[0]
    }
    return undefined
  }

  /** Forgets the steps of an inbox that closed (no longer shared, or revoked). */
  forget(phoneNumberId: string): void {
    this.steps = this.steps.filter((s) => s.phoneNumberId !== phoneNumberId)
  }

  get size(): number {
    return this.steps.length
  }
}

/** The mark that brings a conversation from `now` back to `before`'s status and unread flag. */
function markBack(before: UndoSnapshot, now: UndoSnapshot): MarkKind | null {
  if (before.status === now.status && before.unread === now.unread) return null
  if (before.status === 'done') return 'done'
  if (before.unread) return 'unread'
  return now.status === 'done' ? 'open' : 'read'
}

/** Writes, in one transaction, the compensating changes from `now` back to `before`. */
export function compensate(
  doc: Y.Doc,
  id: string,
  before: UndoSnapshot,
  now: UndoSnapshot,
  author: Author,
  origin: object,
): void {
  doc.transact(() => {
    const kind = markBack(before, now)
    if (kind) markConversation(doc, id, kind, author, origin)
    if (before.pinned !== now.pinned)
      (before.pinned ? pinConversation : unpinConversation)(doc, id, author, origin)
    if (before.assignee !== now.assignee)
      assignConversation(doc, id, before.assignee, author, origin)
    // After the mark, which may have ended a snooze: the snooze back is then the newer [Z2].
    // A snooze an unseen message had woken is not put back: it would hide what woke it [Z4].
    const was = before.snooze?.wokenBy ? null : (before.snooze ?? null)
    const is = kind && kind !== 'read' ? null : (now.snooze ?? null)
    if (before.snooze !== undefined && was?.at !== is?.at) {
      if (was) snoozeConversation(doc, id, was.until ?? 'reply', author, origin)
      else if (is) unsnoozeConversation(doc, id, author, origin)
    }
  }, origin)
}
