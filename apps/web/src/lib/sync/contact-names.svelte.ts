/**
 * @module The names the team gave contacts [C7] as reactive state. A row that reads one number's
 * name re-renders when that name changes, never when another contact is renamed; a whole list's
 * search filter depends on `version` instead (it reads every row's name).
 */
import type { Contacts } from '@switchboard/client'
import type { Conversation } from '@switchboard/core'
import { createSubscriber } from 'svelte/reactivity'
import type { FilterNames } from '../util/query-filter.ts'

type NameSource = Pick<Contacts, 'name' | 'names' | 'onNamesChange'>
const noName = () => null

/** What reads one number's name listen to, while something on screen does. */
interface Watched {
  subscribe: () => void
  update: (() => void) | null
}

export class ContactNames implements FilterNames {
  /** Bumped on every rename: what a pass over a whole list (its search filter) depends on. */
  version = $state(0)
  /** Renames heard so far, not reactive: a filter compares it to tell that its names are stale. */
  changes = 0
  readonly #contacts: NameSource
  // Not state: each entry's subscriber makes reads of its number reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #watched = new Map<string, Watched>()
  readonly #off: () => void
  // Bookkeeping only, never read by the UI.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #listeners = new Set<() => void>()

  constructor(contacts: NameSource) {
    this.#contacts = contacts
    this.#off = contacts.onNamesChange((numbers) => {
      this.changes++
      for (const number of numbers) this.#watched.get(number)?.update?.()
      this.version++
      for (const listener of this.#listeners) listener()
    })
  }

  /** Listener hears after each rename; returns unsubscribe. */
  onRename(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The team's name for the contact `number`, null when none; reactive for that number only. */
  of(number: string): string | null {
    if ($effect.tracking()) this.#watch(number).subscribe()
    return this.#contacts.name(number)
  }

  /**
   * A subscriber rather than a `$state` per number: state made inside the reaction that reads it
   * is not tracked by Svelte, and the first read of a number happens inside a row's derivation.
   * The entry goes once nothing on screen reads that number.
   */
  #watch(number: string): Watched {
    let watched = this.#watched.get(number)
    if (!watched) {
      const entry: Watched = { update: null, subscribe: () => {} }
      entry.subscribe = createSubscriber((update) => {
        entry.update = update
        return () => {
          entry.update = null
          if (this.#watched.get(number) === entry) this.#watched.delete(number)
        }
      })
      this.#watched.set(number, (watched = entry))
    }
    return watched
  }

  /** The team's name for a conversation's contact (its first participant), null when none. */
  nameOf = (c: Pick<Conversation, 'participants'>): string | null => {
    const number = c.participants[0]
    return number ? this.of(number) : null
  }

  /** `nameOf` without making the caller depend on it: for a pass over a whole list. */
  peek = (c: Pick<Conversation, 'participants'>): string | null => {
    const number = c.participants[0]
    return number ? this.#contacts.name(number) : null
  }

  /** A look-up for one pass over a list, not reactive: one map read per row, none when no names. */
  lookup(): (c: Pick<Conversation, 'participants'>) => string | null {
    const names = this.#contacts.names()
    if (names.size === 0) return noName
    return (c) => {
      const number = c.participants[0]
      return number === undefined ? null : (names.get(number) ?? null)
    }
  }

  destroy(): void {
    this.#off()
  }
}
