/**
 * @module Where the selection and the reading pane go when a mark takes a conversation out of the
 * view being read (E on the Open view, O or U on the Done view): to the row that takes its place.
 */
import type { Conversation, MarkKind } from '@switchboard/core'
import { inTab, type TabContext, type ViewTab } from './inbox-view.ts'

/** The conversation as it will be once this device's `kind` mark wins (DESIGN §1, no concurrency). */
export function afterMark(c: Conversation, kind: MarkKind): Conversation {
  switch (kind) {
    case 'done':
      return { ...c, status: 'done', unread: false }
    case 'open':
      return { ...c, status: 'open', unread: false }
    case 'unread':
      return { ...c, status: 'open', unread: true }
    case 'read':
      return { ...c, unread: false }
  }
}

/** True when the mark takes a conversation that is in the tab out of it. */
export function leavesView(
  c: Conversation,
  kind: MarkKind,
  tab: ViewTab,
  ctx: TabContext,
): boolean {
  return inTab(c, tab, ctx) && !inTab(afterMark(c, kind), tab, ctx)
}

/**
 * The row that takes the place of `id` once it leaves: the one below it, else the one above;
 * null when it was the last row; undefined when `id` is not listed (nothing to follow).
 */
export function successorOf(items: readonly Conversation[], id: string): string | null | undefined {
  const i = items.findIndex((c) => c.id === id)
  if (i === -1) return undefined
  return (items[i + 1] ?? items[i - 1])?.id ?? null
}
