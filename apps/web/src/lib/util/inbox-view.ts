/** @module The list's order and search, applied on top of the replica's view. */
import { isSnoozed, type Conversation, type ListOptions } from '@switchboard/core'
import { charMask } from './char-mask.ts'
import { formatPhoneNumber } from './phone-number.ts'

/**
 * The tabs above the list. `mine`, `unassigned` and `member:<id>` (a teammate's) are the Open
 * view filtered by assignee; Unassigned also lists what needs a new owner [G4].
 */
export const ViewTab = {
  Open: 'open',
  Unread: 'unread',
  Done: 'done',
  Mine: 'mine',
  Unassigned: 'unassigned',
  Snoozed: 'snoozed',
} as const
export type ViewTab = (typeof ViewTab)[keyof typeof ViewTab] | `member:${string}`

export const viewTabs: readonly { id: ViewTab; label: string }[] = [
  { id: ViewTab.Open, label: 'Open' },
  { id: ViewTab.Unread, label: 'Unread' },
  { id: ViewTab.Done, label: 'Done' },
  { id: ViewTab.Mine, label: 'Assigned to me' },
  { id: ViewTab.Unassigned, label: 'Unassigned' },
  { id: ViewTab.Snoozed, label: 'Snoozed' },
]

const MEMBER_TAB = /^member:[A-Za-z0-9_-]{1,64}$/

export function parseViewTab(value: string | null): ViewTab {
  if (value && MEMBER_TAB.test(value)) return value as ViewTab
  return (Object.values(ViewTab) as string[]).includes(value ?? '') ? (value as ViewTab) : 'open'
}

/** The teammate a `member:<id>` tab filters by; null for the other tabs. */
export function teammateOf(tab: ViewTab): string | null {
  return tab.startsWith('member:') ? tab.slice('member:'.length) : null
}

/** True when the tab's rows depend on the workspace (who can be assigned), not only on the inbox. */
export function dependsOnWorkspace(tab: ViewTab): boolean {
  return tab === 'unassigned'
}

/** What a tab's filter needs beyond the conversation: the viewer, and who needs a new owner. */
export interface TabContext {
  memberId: string | null
  needsNewOwner(c: Conversation): boolean
  /** The time the tabs are derived at [Z5]: snoozed conversations leave every tab but Snoozed. */
  readonly now?: number
}

/** What to ask the replica for. */
export function listOptions(tab: ViewTab, memberId: string | null, now?: number): ListOptions {
  if (tab === 'snoozed') return { view: 'snoozed', now }
  const teammate = teammateOf(tab)
  if (teammate) return { view: 'inbox', assignee: teammate }
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
export function inTab(c: Conversation, tab: ViewTab, ctx: TabContext): boolean {
  const snoozed = c.snooze !== null && isSnoozed(c, ctx.now)
  if (tab === 'snoozed' || snoozed) return tab === 'snoozed' && snoozed
  const teammate = teammateOf(tab)
  if (teammate) return c.status === 'open' && c.assignee === teammate
  switch (tab) {
    case 'unread':
      return c.unread
    case 'done':
      return c.status === 'done'
    case 'mine':
      return c.status === 'open' && c.assignee !== null && c.assignee === ctx.memberId
    case 'unassigned':
      return c.status === 'open' && (c.assignee === null || ctx.needsNewOwner(c))
    default:
      return c.status === 'open'
  }
}

/**
 * One list in the order of `compareConversations` from several lists already in that order (the
 * inboxes of All inboxes): a k-way merge, so no sort of the whole.
 */
export function mergeSorted(lists: readonly (readonly Conversation[])[]): Conversation[] {
  const nonEmpty = lists.filter((l) => l.length > 0)
  if (nonEmpty.length <= 1) return [...(nonEmpty[0] ?? [])]
  const out: Conversation[] = []
  const at = nonEmpty.map(() => 0)
  for (;;) {
    let best = -1
    for (let i = 0; i < nonEmpty.length; i++) {
      const c = nonEmpty[i]![at[i]!]
      if (c && (best === -1 || compareConversations(c, nonEmpty[best]![at[best]!]!) < 0)) best = i
    }
    if (best === -1) return out
    out.push(nonEmpty[best]![at[best]!]!)
    at[best] = at[best]! + 1
  }
}

/** What the list's filter reads of a conversation: its folded text, numbers' digits, `charMask`. */
export interface Haystack {
  text: string
  digits: string
  mask: number
  /** The team's name for the contact [C7] the text was folded with; null when none. */
  name: string | null
}

/** What a conversation is matched on, folded once per conversation object (they are replaced on change). */
const haystacks = new WeakMap<Conversation, Haystack>()

/**
 * Folds what the list's filter reads of a conversation, ahead of the first key (idle time):
 * the name it is shown by (`teamName`, the team's name for its contact [C7], else the
 * provider's), its numbers and its last activity's preview.
 */
export function haystackOf(c: Conversation, teamName: string | null = null): Haystack {
  let h = haystacks.get(c)
  if (!h || h.name !== teamName) {
    // NUL between fields: no query spans two of them, as when each was matched alone.
    const parts = [
      teamName || c.contactName || '',
      ...c.participants,
      c.lastActivity?.preview ?? '',
    ]
    const text = parts.map(fold).join('\u0000')
    h = {
      text,
      digits: c.participants.map((p) => p.replace(/[^\d]/g, '')).join('\u0000'),
      mask: charMask(text),
      name: teamName,
    }
    haystacks.set(c, h)
  }
  return h
}

/** Case- and accent-insensitive match on the shown name, numbers and the last activity preview. */
export function matchesQuery(
  c: Conversation,
  query: string,
  teamName: string | null = null,
): boolean {
  return queryMatcher(query, () => teamName)(c)
}

/** `matchesQuery` with the query folded once, for filtering a whole list with it. */
export function queryMatcher(
  query: string,
  nameOf: (c: Conversation) => string | null = () => null,
): (c: Conversation) => boolean {
  const q = fold(query.trim())
  if (!q) return () => true
  const digits = q.replace(/[^\d]/g, '')
  return (c) => {
    const h = haystackOf(c, nameOf(c))
    return h.text.includes(q) || (digits.length >= 3 && h.digits.includes(digits))
  }
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
  const filtered = query.trim() ? list.filter(queryMatcher(query)) : [...list]
  return filtered.sort(compareConversations)
}

/**
 * The name a conversation is shown by [C7]: the team's name for its contact (`teamName`), else
 * the provider's, else its number formatted for the workspace's region.
 */
export function displayName(
  c: Pick<Conversation, 'contactName' | 'participants'>,
  teamName: string | null = null,
): string {
  const number = c.participants[0]
  return teamName || c.contactName || (number ? formatPhoneNumber(number) : 'Unknown number')
}

/** True when the conversation is shown by a person's name rather than its number [C7]. */
export function hasName(
  c: Pick<Conversation, 'contactName'>,
  teamName: string | null = null,
): boolean {
  return !!(teamName || c.contactName)
}

/** Lower case without accents, as the list's search compares. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
}
