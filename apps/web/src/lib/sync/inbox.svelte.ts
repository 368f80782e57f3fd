/** @module One phone number's inbox as reactive state: the current tab's list and lookups. */
import type { Inbox } from '@switchboard/client'
import { mergeHistory, type Conversation, type HistoryEntry } from '@switchboard/core'
import {
  arrange,
  compareConversations,
  inTab,
  listOptions,
  matchesQuery,
  type ViewTab,
} from '../util/inbox-view.ts'
import { patchSorted } from '../util/sorted-list.ts'
import { coalesce } from './replica.svelte.ts'

/** More changed conversations than this since the last list: rebuild it whole. */
const REBUILD_AFTER = 256

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
  /** The last tab listed, in order, patched with the conversations changed since (not state). */
  #view: { key: string; items: Conversation[]; index: Map<string, Conversation> } | null = null
  // Bookkeeping only, never read by the UI.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #changed = new Set<string>()

  constructor(inbox: Inbox) {
    this.inbox = inbox
    this.#offs = [
      inbox.onChange((ids) => {
        for (const id of ids) this.#changed.add(id)
      }),
      inbox.onChange(coalesce(() => this.version++)),
      inbox.onUpdate(coalesce(() => this.updates++, 100)),
    ]
    void inbox.whenLoaded.then(() => {
      this.loaded = true
      this.version++
    })
  }

  /**
   * The conversations of a tab, pinned first, filtered by the search query. A few changes since
   * the last call move their rows only, so a mark does not re-sort a big inbox.
   */
  list(tab: ViewTab, memberId: string | null, query: string): Conversation[] {
    void this.version
    const key = `${tab}\u001f${memberId}`
    const view = this.#view
    const changed = this.#changed
    let items: Conversation[] | null = null
    if (view && view.key === key && changed.size <= REBUILD_AFTER) {
      items =
        changed.size === 0
          ? view.items
          : patchSorted(
              view.items,
              view.index,
              [...changed].map((id) => [id, this.inbox.get(id)] as const),
              (c) => inTab(c, tab, memberId),
              compareConversations,
            )
    }
    changed.clear()
    if (items && view) view.items = items
    else {
      const raw = this.inbox.list(listOptions(tab, memberId))
      items = arrange(
        raw.filter((c) => inTab(c, tab, memberId)),
        '',
      )
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      this.#view = { key, items, index: new Map(items.map((c) => [c.id, c])) }
    }
    return query.trim() ? items.filter((c) => matchesQuery(c, query)) : items
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
