/**
 * @module A tab's list kept in order across changes: the conversations changed since the last
 * list move their rows only (`patchSorted`), so a mark does not re-sort a big inbox; a new tab,
 * or too many changes, builds the list whole.
 */
import type { Conversation } from '@switchboard/core'
import { compareConversations } from '../util/inbox-view.ts'
import { patchSorted } from '../util/sorted-list.ts'

/**
 * More changed conversations than this, and than half the list, since the last list: rebuild it
 * whole. Below, a patch costs one pass over the list (a bulk Done of 1,000 rows of 80,000).
 */
const REBUILD_AFTER = 256

export class SortedView {
  /** The last tab listed, in order, patched with the conversations changed since (not state). */
  #view: { key: string; items: Conversation[]; index: Map<string, Conversation> } | null = null
  /** Bookkeeping only, never read by the UI. */
  readonly #changed = new Set<string>()

  /** Notes conversations whose derived state changed. */
  changed(ids: Iterable<string>): void {
    for (const id of ids) this.#changed.add(id)
  }

  /** Forgets the list: the next one is built whole (the set of inboxes changed). */
  reset(): void {
    this.#view = null
    this.#changed.clear()
  }

  /**
   * The list for `key`: the last one patched when it was for the same key, else `build()` (in
   * `compareConversations` order, only rows that pass `keep`).
   */
  list(
    key: string,
    get: (id: string) => Conversation | null,
    keep: (c: Conversation) => boolean,
    build: () => Conversation[],
  ): Conversation[] {
    const view = this.#view
    const changed = this.#changed
    let items: Conversation[] | null = null
    if (
      view &&
      view.key === key &&
      changed.size <= Math.max(REBUILD_AFTER, view.items.length / 2)
    ) {
      items =
        changed.size === 0
          ? view.items
          : patchSorted(
              view.items,
              view.index,
              [...changed].map((id) => [id, get(id)] as const),
              keep,
              compareConversations,
            )
    }
    changed.clear()
    if (items && view) view.items = items
    else {
      items = build()
      this.#view = { key, items, index: new Map(items.map((c) => [c.id, c])) }
    }
    return items
  }
}
