/**
 * @module All inboxes: every phone number the member can see as one list. Each number keeps its
 * own `InboxState` (the opened conversation's pane reads it); the merged list is patched with the
 * conversations changed since the last list, and built whole (a k-way merge of the numbers'
 * sorted lists, no sort) only for a new tab or when the set of numbers changes.
 */
import type { Inbox } from '@switchboard/client'
import type { Conversation } from '@switchboard/core'
import { inTab, mergeSorted, type TabContext, type ViewTab } from '../util/inbox-view.ts'
import { InboxState, viewListKey } from './inbox.svelte.ts'
import { QueryFilter, noNames, type FilterNames } from '../util/query-filter.ts'
import { SortedView } from './sorted-view.ts'

export class AllInboxesState {
  /** Bumped when the set of numbers changes. */
  version = $state(0)
  // Not state: `version` and each number's own version make reads reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #states = new Map<string, { state: InboxState; off: () => void }>()
  readonly #sorted = new SortedView()
  readonly #filter = new QueryFilter()
  readonly #names: FilterNames & { readonly version?: number }
  /** The list last shown without a query: read again in idle time after a rename. */
  #shown: readonly Conversation[] | null = null
  readonly #offRename: () => void

  /** `names`: the team's contact names [C7], which the search box's filter matches. */
  constructor(names: FilterNames & { readonly version?: number } = noNames) {
    this.#names = names
    this.#offRename =
      names.onRename?.(() => this.#shown && this.#filter.prepare(this.#shown, names)) ?? (() => {})
  }

  /** Follows the member's numbers: a granted one joins the list, a revoked one leaves it. */
  sync(inboxes: readonly Inbox[]): void {
    // A local look-up, never read by the UI.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const wanted = new Set(inboxes.map((i) => i.phoneNumberId))
    let changed = false
    for (const [id, entry] of this.#states) {
      if (wanted.has(id)) continue
      entry.off()
      entry.state.destroy()
      this.#states.delete(id)
      changed = true
    }
    for (const inbox of inboxes) {
      if (this.#states.has(inbox.phoneNumberId)) continue
      const off = inbox.onChange((ids) => this.#sorted.changed(ids))
      this.#states.set(inbox.phoneNumberId, { state: new InboxState(inbox, this.#names), off })
      changed = true
    }
    if (!changed) return
    this.#sorted.reset()
    this.version++
  }

  get loaded(): boolean {
    void this.version
    for (const { state } of this.#states.values()) if (!state.loaded) return false
    return true
  }

  /** The merged list of a tab, in the list's order, filtered by the search query. */
  list(tab: ViewTab, ctx: TabContext, query: string, workspace = 0): Conversation[] {
    void this.version
    const states = [...this.#states.values()].map((e) => e.state)
    for (const s of states) void s.version
    const items = this.#sorted.list(
      viewListKey(tab, ctx, workspace),
      (id) => this.get(id),
      (c) => inTab(c, tab, ctx),
      () => mergeSorted(states.map((s) => s.build(tab, ctx))),
    )
    if (query.trim()) {
      void this.#names.version
      return this.#filter.filter(items, query, this.#names)
    }
    // The list's first key finds its rows read already.
    this.#shown = items
    this.#filter.prepare(items, this.#names)
    return items
  }

  /** A conversation of any of the numbers (conversation ids are unique across numbers). */
  get(id: string): Conversation | null {
    void this.version
    for (const { state } of this.#states.values()) {
      const c = state.get(id)
      if (c) return c
    }
    return null
  }

  /** The number's own state, for the conversation's pane and actions. */
  stateOf(phoneNumberId: string): InboxState | null {
    void this.version
    return this.#states.get(phoneNumberId)?.state ?? null
  }

  destroy(): void {
    this.#offRename()
    for (const { state, off } of this.#states.values()) {
      off()
      state.destroy()
    }
    this.#states.clear()
  }
}
