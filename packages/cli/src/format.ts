/** @module Human output: the inbox table, with each state explained. */
import type { ConversationName } from './contact-label.ts'
import { timestampWall, type Conversation, type HistoryEntry } from '@switchboard/core'
import type { Member } from '@switchboard/client/node'

const KIND_WORD: Record<string, string> = {
  done: 'Done',
  open: 'Reopened',
  unread: 'Marked unread',
  read: 'Read',
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ')

/** "10:02" today, "Nov 24 10:02" on another day. */
export function clock(ms: number, today: Date = new Date()): string {
  const d = new Date(ms)
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
  return d.toDateString() === today.toDateString()
    ? hm
    : `${MONTHS[d.getMonth()]} ${d.getDate()} ${hm}`
}

export function memberName(members: readonly Member[], id: string): string {
  const m = members.find((x) => x.id === id)
  return m ? m.name.split(/\s+/)[0]!.toLowerCase() : id
}

export function stateLabel(c: Conversation): string {
  if (c.status === 'done') return c.unread ? 'Done·Unread' : 'Done'
  return c.unread ? 'Open·Unread' : 'Open'
}

/** "Done by bob 10:02 · reopened by new SMS 10:05". */
export function explain(c: Conversation, members: readonly Member[]): string {
  const parts: string[] = []
  if (c.decidedBy) {
    const word = KIND_WORD[c.decidedBy.kind] ?? c.decidedBy.kind
    parts.push(
      `${word} by ${memberName(members, c.decidedBy.memberId)} ${clock(timestampWall(c.decidedBy.at))}`,
    )
  } else if (c.unread) {
    parts.push('new')
  }
  if (c.reopenedBy) {
    const what =
      c.lastActivity?.kind === 'call'
        ? 'call'
        : c.lastActivity?.kind === 'voicemail'
          ? 'voicemail'
          : 'SMS'
    const at = c.lastActivity ? ' ' + clock(c.lastActivity.at) : ''
    parts.push(`reopened by new ${what}${at}`)
  }
  if (c.pinned) parts.push('pinned')
  if (c.assignee) parts.push(`assigned to ${memberName(members, c.assignee)}`)
  return parts.join(' · ')
}

function pad(s: string, n: number): string {
  const chars = [...s]
  return chars.length > n ? chars.slice(0, n - 1).join('') + '…' : s + ' '.repeat(n - chars.length)
}

export function table(rows: string[][], widths: number[]): string {
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i] ?? 12)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function inboxTable(
  conversations: Conversation[],
  members: readonly Member[],
  name: ConversationName,
): string {
  if (conversations.length === 0) return '  (no conversations)'
  const rows = [['ID', 'STATE', 'CONTACT', 'LAST', 'WHY']]
  for (const c of conversations) {
    const last = c.lastActivity
      ? `${clock(c.lastActivity.at)} ${c.lastActivity.direction === 'incoming' ? '←' : '→'} ${c.lastActivity.preview}`
      : ''
    rows.push([c.id, stateLabel(c), name(c), last, explain(c, members)])
  }
  return table(rows, [14, 12, 18, 40])
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n')
}

export function historyLines(entries: HistoryEntry[], members: readonly Member[]): string[] {
  return entries.map((h) => {
    const word = KIND_WORD[h.kind] ?? h.kind
    const value =
      h.kind === 'assign' ? ` → ${h.value ? memberName(members, h.value) : 'nobody'}` : ''
    return `  ${clock(timestampWall(h.at))}  ${word}${value} by ${memberName(members, h.memberId)} (${h.deviceId})`
  })
}
