/** @module One phone number's inbox as reactive state: the current tab's list and lookups. */
import type { Inbox } from '@switchboard/client'
import type { Conversation } from '@switchboard/core'
import { arrange, inTab, listOptions, type ViewTab } from '../util/inbox-view.ts'
import { coalesce } from './replica.svelte.ts'

export class InboxState {
  readonly inbox: Inbox
  version = $state(0)
  loaded = $state(false)
  #off: () => void

  constructor(inbox: Inbox) {
    this.inbox = inbox
    this.#off = inbox.onChange(coalesce(() => this.version++))
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

  /** Pass the replica's `mentionsVersion` to re-read when marks land without a state change. */
  history(id: string, _changes = 0) {
    void this.version
    return this.inbox.history(id)
  }

  destroy(): void {
    this.#off()
  }
}
