/**
 * @module What a person does to a conversation (keys, buttons, swipes), applied through the
 * client. Each is an undo step on the replica's one stack (@switchboard/client README, "Undo");
 * the read that viewing a conversation causes is not, so Ctrl/Cmd+Z never takes it back.
 */
import type { Inbox } from '@switchboard/client'
import type { MarkKind, SnoozeUntil } from '@switchboard/core'

export type Action =
  | { kind: MarkKind | 'pin' | 'unpin' | 'unsnooze' }
  | { kind: 'assign'; memberId: string | null; name?: string }
  /** [Z1] `label` is the choice's words for the toast ("Tomorrow", "until they reply"). */
  | { kind: 'snooze'; until: SnoozeUntil; label?: string }

/** The toast's words, naming the conversation ("Marked Katherine Johnson as done"). */
const labels: Record<Action['kind'], (name: string) => string> = {
  done: (name) => `Marked ${name} as done`,
  unread: (name) => `Marked ${name} as unread`,
  open: (name) => `Reopened ${name}`,
  read: (name) => `Marked ${name} as read`,
  pin: (name) => `Pinned ${name}`,
  unpin: (name) => `Unpinned ${name}`,
  assign: (name) => `Assigned ${name}`,
  snooze: (name) => `Snoozed ${name}`,
  unsnooze: (name) => `Unsnoozed ${name}`,
}

/** Applies an action to conversation `id`; resolves once it is durable on this device. */
export function applyAction(inbox: Inbox, id: string, action: Action): Promise<void> {
  if (action.kind === 'assign') return inbox.assign(id, action.memberId)
  if (action.kind === 'pin') return inbox.pin(id)
  if (action.kind === 'unpin') return inbox.unpin(id)
  if (action.kind === 'snooze') return inbox.snooze(id, action.until)
  if (action.kind === 'unsnooze') return inbox.unsnooze(id)
  return inbox.mark(id, action.kind)
}

/** The mark an action makes; null for pin, assign and snoozes. */
export function markOf(action: Action): MarkKind | null {
  const { kind } = action
  return kind === 'pin' ||
    kind === 'unpin' ||
    kind === 'assign' ||
    kind === 'snooze' ||
    kind === 'unsnooze'
    ? null
    : kind
}

/** The toast's words for an action just applied to the conversation called `name`. */
export function actionMessage(action: Action, name: string): string {
  if (action.kind === 'snooze' && action.label) return `Snoozed ${name} · ${action.label}`
  if (action.kind !== 'assign') return labels[action.kind](name)
  return action.memberId
    ? `Assigned ${name} to ${action.name ?? 'a teammate'}`
    : `Unassigned ${name}`
}

/**
 * Viewing a conversation marks it read (DESIGN §1): not an undo step, and not one of the
 * "changes not yet synced", which count what the person did.
 */
export function markSeen(inbox: Inbox, id: string): Promise<void> {
  return inbox.mark(id, 'read', { implicit: true })
}
