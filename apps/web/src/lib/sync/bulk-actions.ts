/**
 * @module What the bulk bar and "Mark all read" do to many conversations at once: one change
 * through the client's `bulk`, which is ONE undo step for all of them (packages/client, "Undo"),
 * and the toast's words, which name the count ("Marked 20 conversations as done").
 */
import type { BulkChange, ConversationRef, Member } from '@switchboard/client'
import type { Conversation, SnoozeUntil } from '@switchboard/core'
import type { IconName } from '../components/Icon.svelte'

/** A bulk action: a mark, or an assignment (with the assignee's name for the toast). */
export type BulkAction =
  | { kind: 'done' | 'read' | 'unread' }
  | { kind: 'assign'; memberId: string | null; name?: string }
  /** [Z1] `label` names the choice for the toast ("Tomorrow"). */
  | { kind: 'snooze'; until: SnoozeUntil; label: string }

export type BulkMarkKind = Exclude<BulkAction['kind'], 'assign' | 'snooze'>

/**
 * The bulk bar's mark buttons, in order: the extension point for more kinds (a bulk snooze adds
 * its entry here, its words in `bulkMessage` and its change in the client's `BulkChange`).
 */
export const bulkMarks: readonly {
  kind: BulkMarkKind
  /** The button's accessible name; `short` is its visible text (part of the name, WCAG 2.5.3). */
  label: string
  short: string
  icon: IconName | null
}[] = [
  { kind: 'done', label: 'Mark as done', short: 'Done', icon: 'check' },
  { kind: 'read', label: 'Mark as read', short: 'Read', icon: null },
  { kind: 'unread', label: 'Mark as unread', short: 'Unread', icon: 'envelope' },
]

const marked: Record<BulkMarkKind, string> = { done: 'done', read: 'read', unread: 'unread' }

/** "20 conversations", "1 conversation". */
export function countOf(n: number): string {
  return `${n} conversation${n === 1 ? '' : 's'}`
}

/** The toast's words for a bulk action applied to `count` conversations. */
export function bulkMessage(action: BulkAction, count: number): string {
  if (action.kind === 'snooze') return `Snoozed ${countOf(count)} · ${action.label}`
  if (action.kind !== 'assign') return `Marked ${countOf(count)} as ${marked[action.kind]}`
  return action.memberId
    ? `Assigned ${countOf(count)} to ${action.name ?? 'a teammate'}`
    : `Unassigned ${countOf(count)}`
}

/** The client's change for a bulk action. */
export function changeOf(action: BulkAction): BulkChange {
  if (action.kind === 'assign') return { kind: 'assign', memberId: action.memberId }
  if (action.kind === 'snooze') return { kind: 'snooze', until: action.until }
  return action
}

/** Where each conversation is, for `Switchboard.bulk`. */
export function refsOf(conversations: readonly Conversation[]): ConversationRef[] {
  return conversations.map((c) => ({ phoneNumberId: c.phoneNumberId, conversationId: c.id }))
}

/** The phone numbers of some conversations, each once. */
export function numbersOf(conversations: readonly Conversation[]): string[] {
  return [...new Set(conversations.map((c) => c.phoneNumberId))]
}

/**
 * The members who can be assigned a conversation of every one of the numbers [G1] (in the
 * first list's order): a bulk assignment to anyone else would be refused for some of them.
 */
export function assignableToAll(lists: readonly (readonly Member[])[]): Member[] {
  const [first, ...rest] = lists
  if (!first) return []
  const others = rest.map((l) => new Set(l.map((m) => m.id)))
  return first.filter((m) => others.every((ids) => ids.has(m.id)))
}
