/** @module The list's order and search, applied on top of the replica's view. */
import type { Conversation, ListOptions } from '@switchboard/core'

/** The tabs above the list; `mine` is the Open view filtered to the viewer's assignments. */
export const ViewTab = { Open: 'open', Unread: 'unread', Done: 'done', Mine: 'mine' } as const
export type ViewTab = (typeof ViewTab)[keyof typeof ViewTab]

export const viewTabs: readonly { id: ViewTab; label: string }[] = [
  { id: ViewTab.Open, label: 'Open' },
  { id: ViewTab.Unread, label: 'Unread' },
  { id: ViewTab.Done, label: 'Done' },
  { id: ViewTab.Mine, label: 'Assigned to me' },
]

export function parseViewTab(value: string | null): ViewTab {
  return (Object.values(ViewTab) as string[]).includes(value ?? '') ? (value as ViewTab) : 'open'
}

/** What to ask the replica for. */
export function listOptions(tab: ViewTab, memberId: string | null): ListOptions {
  switch (tab) {
    case 'unread':
      return { view: 'unread' }
    case 'done':
      return { view: 'done' }
    case 'mine':
      return memberId ? { view: 'inbox', assignee: memberId } : { view: 'inbox' }
    default:
      return { view: 'inbox' }
  }
}

/** Whether a conversation belongs in a tab (used to double-check what the replica returns). */
export function inTab(c: Conversation, tab: ViewTab, memberId: string | null): boolean {
  switch (tab) {
    case 'unread':
      return c.unread
    case 'done':
      return c.status === 'done'
    case 'mine':
      return c.status === 'open' && c.assignee !== null && c.assignee === memberId
    default:
      return c.status === 'open'
  }
}

/** Case- and accent-insensitive match on contact name, numbers and the last activity preview. */
export function matchesQuery(c: Conversation, query: string): boolean {
  const q = fold(query.trim())
  if (!q) return true
  const digits = q.replace(/[^\d]/g, '')
  if (c.contactName && fold(c.contactName).includes(q)) return true
  for (const p of c.participants) {
    if (fold(p).includes(q)) return true
    if (digits.length >= 3 && p.replace(/[^\d]/g, '').includes(digits)) return true
  }
  return !!c.lastActivity && fold(c.lastActivity.preview).includes(q)
}

/** The list's order: pinned first, then newest activity first, then by id (a total order). */
export function compareConversations(a: Conversation, b: Conversation): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1
  const at = a.lastActivity?.at ?? a.createdAt
  const bt = b.lastActivity?.at ?? b.createdAt
  if (at !== bt) return bt - at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Pinned first, then newest activity first; stable for equal keys. */
export function arrange(list: Conversation[], query: string): Conversation[] {
  const filtered = query.trim() ? list.filter((c) => matchesQuery(c, query)) : [...list]
  return filtered.sort(compareConversations)
}

/** The contact's display name: their name, else their number. */
export function displayName(c: Conversation): string {
  return c.contactName || c.participants[0] || 'Unknown number'
}

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
}
