/**
 * @module The conversation header's merge explanation: who decided the state and what
 * overrode it. "Done by Bob 10:02 · reopened by new SMS 10:05" — when Bob marked Done
 * offline while an SMS arrived that he had not seen, the SMS wins (P3) and the header says so.
 */
import { RULE_DEVICE, timestampWall } from '@switchboard/core'
import type { ActivityKind, Conversation, HistoryEntry, MarkKind } from '@switchboard/core'
import { activityWord, formatWhen } from './format.ts'

export interface ExplainContext {
  /** Display name of a member id; "you" for the viewer. */
  nameOf: (memberId: string) => string
  /** Kind and time of the activity that reopened the conversation, when known. */
  activity: (id: string) => { kind: ActivityKind; at: number } | null
  /** The first incoming activity after a time (ms), when the thread is loaded. */
  incomingAfter?: (wall: number) => { kind: ActivityKind; at: number } | null
  /** The conversation's mark history, to name the status mark the winner overrode (P2). */
  history?: readonly HistoryEntry[]
  now?: number
}

/**
 * Whether a new incoming activity is why the conversation is open: `reopenedBy` until someone
 * reads it; after a read, a winning Done that does not hold can only mean an unseen incoming
 * activity (P3), so the list hint and the header keep saying so.
 */
export function wasReopened(conversation: Conversation): boolean {
  return (
    conversation.reopenedBy !== null ||
    // A snooze newer than the Done is what keeps it open [Z3], not a message.
    (conversation.statusBy?.kind === 'done' &&
      conversation.status === 'open' &&
      conversation.snooze === null)
  )
}

/** Status marks by name, for the one the winner overrode ("over Done by you 10:02"). */
const statusNames: Partial<Record<string, string>> = {
  done: 'Done',
  open: 'Reopen',
  unread: 'Unread',
}

const verbs: Record<MarkKind, string> = {
  done: 'Done',
  open: 'Reopened',
  unread: 'Marked unread',
  read: 'Read',
}

/** The explanation line, or '' when nobody has marked the conversation yet. */
export function explainState(conversation: Conversation, ctx: ExplainContext): string {
  const parts: string[] = []
  const now = ctx.now ?? Date.now()
  // The status mark explains the state; a later read is mentioned after it, not instead of it.
  const decided = conversation.statusBy ?? conversation.decidedBy
  // A mute's or rule's mark [F7]: the history entry at its time names the rule.
  const rule =
    decided?.deviceId === RULE_DEVICE
      ? ctx.history?.find((e) => e.at === decided.at && e.rule)?.rule
      : undefined
  if (decided && decided.deviceId === RULE_DEVICE) {
    parts.push(
      `Marked done by rule${rule ? ` '${rule}'` : ''} ${formatWhen(timestampWall(decided.at), now)}`,
    )
  } else if (decided) {
    parts.push(
      `${verbs[decided.kind]} by ${ctx.nameOf(decided.memberId)} ${formatWhen(timestampWall(decided.at), now)}`,
    )
  }
  // The status mark the winner overrode, when someone else set another state before it:
  // "Marked unread by Bob 10:04 · over Done by you 10:02" (latest intent wins, P2).
  const statusBy = conversation.statusBy
  if (statusBy && ctx.history) {
    const before = ctx.history.filter((e) => statusNames[e.kind] && e.at < statusBy.at)
    const previous = before[before.length - 1]
    if (previous && previous.memberId !== statusBy.memberId && previous.kind !== statusBy.kind) {
      parts.push(
        `over ${statusNames[previous.kind]} by ${ctx.nameOf(previous.memberId)} ${formatWhen(timestampWall(previous.at), now)}`,
      )
    }
  }
  const last = conversation.lastActivity
  if (wasReopened(conversation)) {
    const since = conversation.statusBy ? timestampWall(conversation.statusBy.at) : 0
    const act =
      (conversation.reopenedBy ? ctx.activity(conversation.reopenedBy) : null) ??
      (last?.direction === 'incoming' &&
      (last.id === conversation.reopenedBy || (!conversation.reopenedBy && last.at >= since))
        ? last
        : null) ??
      (ctx.incomingAfter?.(since) || null)
    parts.push(
      act
        ? `reopened by new ${activityWord(act.kind)} ${formatWhen(act.at, now)}`
        : 'reopened by new message',
    )
  }
  const read = conversation.decidedBy
  if (read && read.kind === 'read' && conversation.statusBy && read.at !== conversation.statusBy.at)
    parts.push(`read by ${ctx.nameOf(read.memberId)} ${formatWhen(timestampWall(read.at), now)}`)
  return parts.join(' · ')
}
