/** @module One phone number's inbox as reactive state: the current tab's list and lookups. */
import type { Inbox } from '@switchboard/client'
import { mergeHistory, type Conversation, type HistoryEntry } from '@switchboard/core'
import { arrange, inTab, listOptions, type ViewTab } from '../util/inbox-view.ts'
import { coalesce } from './replica.svelte.ts'

export class InboxState {
  readonly inbox: Inbox
  version = $state(0)
  /** Bumped on any change to the inbox, history and mentions included (`Inbox.onUpdate`). */
  updates = $state(0)
  loaded = $state(false)
  /** Audit entries of opened conversations from the relay's archive (older than the room's history). */
  #archived = $state<Record<string, HistoryEntry[]>>({})
  /** Conversations whose archive could not be read (offline): their older history is missing. */
  archiveMissing = $state<Record<string, boolean>>({})
  #offs: (() => void)[]

  constructor(inbox: Inbox) {
    this.inbox = inbox
    this.#offs = [
      inbox.onChange(coalesce(() => this.version++)),
      inbox.onUpdate(coalesce(() => this.updates++, 100)),
    ]
    void inbox.whenLoaded.then(() => {
      this.loaded = true
      this.version++
    })
  }

  /** The conversations of a tab, pinned first, filtered by the search query. */
  list(tab: ViewTab, memberId: string | null, query: string): Conversation[] {
    void this.version
    const raw = this.inbox.list(listOptions(tab, memberId))
    return arrange(
      raw.filter((c) => inTab(c, tab, memberId)),
      query,
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

  /** Reads a conversation's archived history once; offline, marks it missing and retries later. */
  loadArchive(id: string): void {
    if (this.#archived[id]) return
    this.#archived[id] = []
    this.inbox.archivedHistory(id).then(
      (entries) => {
        this.#archived[id] = entries
        delete this.archiveMissing[id]
      },
      () => {
        delete this.#archived[id]
        this.archiveMissing[id] = true
      },
    )
  }

  destroy(): void {
    for (const off of this.#offs.splice(0)) off()
  }
}
