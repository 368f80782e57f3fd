/** @module One phone number's inbox as reactive state: the current tab's list and lookups. */
import type { Inbox } from '@switchboard/client'
import { mergeHistory, type Conversation, type HistoryEntry } from '@switchboard/core'
import {
  arrange,
  dependsOnWorkspace,
  inTab,
  listOptions,
  type TabContext,
  type ViewTab,
} from '../util/inbox-view.ts'
import { coalesce } from './replica.svelte.ts'
import { QueryFilter, noNames, type FilterNames } from '../util/query-filter.ts'
import { SortedView } from './sorted-view.ts'

/** The key of a tab's list: a new key builds the list whole. */
export function viewListKey(tab: ViewTab, ctx: TabContext, workspace: number): string {
  // A new `now` (a snooze woke) builds the list whole: rows leave and join by the time [Z5].
  return `${tab}\u001f${ctx.memberId}\u001f${dependsOnWorkspace(tab) ? workspace : ''}\u001f${ctx.now ?? ''}`
}

export class InboxState {
  readonly inbox: Inbox
  version = $state(0)
  /** Bumped on any change to the inbox, history and mentions included (`Inbox.onUpdate`). */
  updates = $state(0)
  loaded = $state(false)
  /** Audit entries of opened conversations from the relay's archive (older than the room's history). */
  #archived = $state<Record<string, HistoryEntry[]>>({})
  // Deliberately not reactive (see loadArchive).
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #archiveRequested = new Set<string>()
  /** Conversations whose archive could not be read (offline): their older history is missing. */
  archiveMissing = $state<Record<string, boolean>>({})
  #offs: (() => void)[]
  readonly #sorted = new SortedView()
  readonly #filter = new QueryFilter()
  readonly #names: FilterNames & { readonly version?: number }
  /** The list last shown without a query: read again in idle time after a rename. */
  #shown: readonly Conversation[] | null = null

  /** `names`: the team's contact names [C7], which the search box's filter matches. */
  constructor(inbox: Inbox, names: FilterNames & { readonly version?: number } = noNames) {
    this.inbox = inbox
    this.#names = names
    this.#offs = [
      inbox.onChange((ids) => this.#sorted.changed(ids)),
      inbox.onChange(coalesce(() => this.version++)),
      inbox.onUpdate(coalesce(() => this.updates++, 100)),
    ]
    if (names.onRename)
      this.#offs.push(names.onRename(() => this.#shown && this.#filter.prepare(this.#shown, names)))
    void inbox.whenLoaded.then(() => {
      this.loaded = true
      this.version++
    })
  }

  /**
   * The conversations of a tab, pinned first, filtered by the search query. A few changes since
   * the last call move their rows only, so a mark does not re-sort a big inbox. `workspace` is
   * the workspace's version: tabs that depend on who can be assigned are rebuilt when it moves.
   */
  list(tab: ViewTab, ctx: TabContext, query: string, workspace = 0): Conversation[] {
    void this.version
    const items = this.#sorted.list(
      viewListKey(tab, ctx, workspace),
      (id) => this.inbox.get(id),
      (c) => inTab(c, tab, ctx),
      () => this.build(tab, ctx),
    )
    if (query.trim()) {
      // A rename filters again only while a query is typed: the rows alone read their own names.
      void this.#names.version
      return this.#filter.filter(items, query, this.#names)
    }
    // The list's first key finds its rows read already.
    this.#shown = items
    this.#filter.prepare(items, this.#names)
    return items
  }

  /** A tab's list built whole, in order. */
  build(tab: ViewTab, ctx: TabContext): Conversation[] {
    const raw = this.inbox.list(listOptions(tab, ctx.memberId, ctx.now))
    return arrange(
      raw.filter((c) => inTab(c, tab, ctx)),
      '',
    )
  }

  get(id: string): Conversation | null {
    void this.version
    return this.inbox.get(id)
  }

  /** Who marked what and when; re-read on every inbox update (a read changes no state). */
  history(id: string) {
    void this.updates
    return this.inbox.history(id)
  }

  /**
   * Who marked what, the relay's archive included once it has been read (`loadArchive`): the
   * room keeps only the history newer than its horizon.
   */
  fullHistory(id: string): HistoryEntry[] {
    const room = this.history(id)
    const archived = this.#archived[id]
    return archived?.length ? mergeHistory(archived, room) : room
  }

  /**
   * Reads a conversation's archived history once; offline, marks it missing, and the next call
   * (the conversation opened again) retries. The guard is not reactive state: an effect calling
   * this must not re-run, and fetch again at once, because a failure cleared it.
   */
  loadArchive(id: string): void {
    if (this.#archiveRequested.has(id)) return
    this.#archiveRequested.add(id)
    this.inbox.archivedHistory(id).then(
      (entries) => {
        this.#archived[id] = entries
        delete this.archiveMissing[id]
      },
      () => {
        this.#archiveRequested.delete(id)
        this.archiveMissing[id] = true
      },
    )
  }

  destroy(): void {
    for (const off of this.#offs.splice(0)) off()
  }
}
