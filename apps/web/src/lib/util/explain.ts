/**
 * @module The conversation header's merge explanation: who decided the state and what
 * overrode it. "Done by Bob 10:02 · reopened by new SMS 10:05" — when Bob marked Done
 * offline while an SMS arrived that he had not seen, the SMS wins (P3) and the header says so.
 */
import { timestampWall } from '@switchboard/core'
import type { ActivityKind, Conversation, MarkKind } from '@switchboard/core'
import { activityWord, formatWhen } from './format.ts'

export interface ExplainContext {
  /** Display name of a member id; "you" for the viewer. */
  nameOf: (memberId: string) => string
  /** Kind and time of the activity that reopened the conversation, when known. */
  activity: (id: string) => { kind: ActivityKind; at: number } | null
  now?: number
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
  if (decided) {
    parts.push(
      `${verbs[decided.kind]} by ${ctx.nameOf(decided.memberId)} ${formatWhen(timestampWall(decided.at), now)}`,
    )
  }
  const last = conversation.lastActivity
  const reopenedBy =
    conversation.reopenedBy ??
    (decided?.kind === 'done' && conversation.status === 'open' && last?.direction === 'incoming'
      ? last.id
      : null)
  if (reopenedBy) {
    const act = ctx.activity(reopenedBy) ?? (last?.id === reopenedBy ? last : null)
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
