/**
 * @module The replica's search: one index over every number's conversations, the contacts and
 * the conversations held on this device (IndexedDB), kept up to date from the replica's change
 * events in idle time, so a keystroke only queries it. Works offline: everything is local.
 */
import {
  readStoredConversation,
  storedConversationIds,
  type Contacts,
  type Inbox,
} from '@switchboard/client'
import {
  TextIndex,
  activityDoc,
  contactDoc,
  conversationDoc,
  noteDoc,
  searchDocKey,
  type Activity,
  type Contact,
  type Conversation,
  type Note,
  type SearchDoc,
} from '@switchboard/core'
import { searchResults, type SearchResult } from '../search/results.ts'
import { haystackOf } from '../util/inbox-view.ts'
import type { ContactNames } from './contact-names.svelte.ts'

/** Set once the index first holds everything the replica had (bench/src/browser-search.ts). */
export const SEARCH_INDEXED = 'switchboard:search-indexed'

/** Work of one idle slice, at most (ms): a keystroke waits for no more than this. */
const SLICE_MS = 8
/** Stored conversations read from IndexedDB at once. */
const READS_IN_FLIGHT = 4

/** What the index reads of the team's contacts. */
export type ContactSource = Pick<
  Contacts,
  'list' | 'get' | 'whenLoaded' | 'onContactsChange' | 'onNamesChange'
>

interface Queued {
  inbox: Inbox
  id: string
  conversation?: Conversation
}

export class SearchState {
  /** Bumped (coalesced) when the index changed: results are read again. */
  version = $state(0)
  /** True while changes wait to be indexed (the results may miss them). */
  indexing = $state(true)
  readonly index = new TextIndex()
  readonly #contacts: ContactSource
  readonly #names: Pick<ContactNames, 'peek'> | null
  readonly #prefix: string
  // Bookkeeping only; `version` makes reads reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #inboxes = new Map<string, { inbox: Inbox; offs: (() => void)[] }>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #phoneOf = new Map<string, string>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #numberOf = new Map<string, string>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #byNumber = new Map<string, Set<string>>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #threadKeys = new Map<string, string[]>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #threadsIndexed = new Set<string>()
  #queue: Queued[] = []
  #pendingContacts: Contact[] | null = null
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #contactKeys = new Set<string>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #seenContacts = new Set<string>()
  #contactsDirty = true
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #changedContacts = new Set<string>()
  #stored: string[] = []
  #reading = 0
  /** Loads the index waits for: the contacts, the stored rooms' list, each inbox not loaded. */
  #waiting = 2
  #scheduled = false
  #destroyed = false
  #changedTimer: ReturnType<typeof setTimeout> | undefined
  /** Results are read again at most every 150 ms while the index changes. */
  readonly #changed = () => {
    this.#changedTimer ??= setTimeout(() => {
      this.#changedTimer = undefined
      this.version++
    }, 150)
  }
  readonly #offs: (() => void)[] = []

  /**
   * `prefix`: the replica's IndexedDB prefix, where its conversations are stored; `names`: the
   * team's contact names [C7], which name (and find) conversations in place of the provider's.
   */
  constructor(
    contacts: ContactSource,
    prefix: string,
    names: Pick<ContactNames, 'peek'> | null = null,
  ) {
    this.#contacts = contacts
    this.#names = names
    this.#prefix = prefix
    // A changed contact is read again alone; the whole room is read once, when it loads.
    this.#offs.push(
      contacts.onContactsChange((numbers) => {
        for (const number of numbers) this.#changedContacts.add(number)
        this.#schedule()
      }),
    )
    // A renamed contact's conversations are indexed again under the new name.
    this.#offs.push(
      contacts.onNamesChange((numbers) => {
        for (const number of numbers)
          for (const id of this.#byNumber.get(number) ?? []) {
            const inbox = this.#inboxes.get(this.#phoneOf.get(id) ?? '')?.inbox
            if (inbox) this.#queue.push({ inbox, id })
          }
        this.#schedule()
      }),
    )
    void contacts.whenLoaded
      .catch(() => {})
      .then(() => {
        this.#waiting--
        this.#dirtyContacts()
      })
    void storedConversationIds({ prefix })
      .then(
        (ids) => void this.#stored.push(...ids),
        () => {},
      )
      .finally(() => {
        this.#waiting--
        this.#schedule()
      })
  }

  /** Follows the member's numbers: a granted one is indexed, a revoked one leaves the index. */
  sync(inboxes: readonly Inbox[]): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const wanted = new Set(inboxes.map((i) => i.phoneNumberId))
    for (const [id, entry] of this.#inboxes) {
      if (wanted.has(id)) continue
      for (const off of entry.offs) off()
      this.#inboxes.delete(id)
      for (const [conversation, pn] of this.#phoneOf) if (pn === id) this.#forget(conversation)
      this.#changed()
    }
    for (const inbox of inboxes) {
      if (this.#inboxes.has(inbox.phoneNumberId)) continue
      const offs = [
        inbox.onChange((ids) => {
          for (const id of ids) this.#queue.push({ inbox, id })
          this.#schedule()
        }),
      ]
      this.#inboxes.set(inbox.phoneNumberId, { inbox, offs })
      const all = () => {
        if (!this.#inboxes.has(inbox.phoneNumberId)) return
        for (const c of inbox.list({ view: 'all' }))
          this.#queue.push({ inbox, id: c.id, conversation: c })
        this.#schedule()
      }
      if (inbox.loaded) all()
      else {
        this.#waiting++
        void inbox.whenLoaded
          .then(all, () => {})
          .then(() => {
            this.#waiting--
            this.#schedule()
          })
      }
    }
  }

  /** The ranked results of a query over everything indexed so far. */
  search(query: string, limit = 50): SearchResult[] {
    void this.version
    return searchResults(
      this.index,
      query,
      {
        conversation: (id) => {
          const pn = this.#phoneOf.get(id)
          return pn ? (this.#inboxes.get(pn)?.inbox.get(id) ?? null) : null
        },
        conversationsOf: (number) => this.#byNumber.get(number) ?? [],
        contactName: (c) => this.#names?.peek(c) ?? null,
      },
      limit,
    )
  }

  /** Indexes an open conversation's messages and notes as they are (called as they change). */
  indexThread(id: string, activities: readonly Activity[], notes: readonly Note[]): void {
    this.#threadsIndexed.add(id)
    const docs: SearchDoc[] = []
    for (const a of activities) {
      const doc = activityDoc(a)
      if (doc) docs.push(doc)
    }
    for (const n of notes) docs.push(noteDoc(id, n))
    const keys = docs.map((d) => d.key)
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const kept = new Set(keys)
    for (const key of this.#threadKeys.get(id) ?? []) if (!kept.has(key)) this.index.remove(key)
    for (const doc of docs) this.index.set(doc)
    this.#threadKeys.set(id, keys)
    this.#changed()
  }

  #forget(conversation: string): void {
    this.index.remove(searchDocKey.conversation(conversation))
    for (const key of this.#threadKeys.get(conversation) ?? []) this.index.remove(key)
    this.#threadKeys.delete(conversation)
    this.#phoneOf.delete(conversation)
    const number = this.#numberOf.get(conversation)
    if (number !== undefined) this.#byNumber.get(number)?.delete(conversation)
    this.#numberOf.delete(conversation)
  }

  #dirtyContacts(): void {
    this.#contactsDirty = true
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#destroyed) return
    this.#scheduled = true
    this.indexing = true
    const run = () => {
      this.#scheduled = false
      this.#step()
    }
    // Idle time where the browser has it, so indexing never delays a frame or a keystroke.
    if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 500 })
    else setTimeout(run, 0)
  }

  /** One slice of work: conversations first, then contacts, then stored threads (async). */
  #step(): void {
    if (this.#destroyed) return
    const end = performance.now() + SLICE_MS
    let did = false
    while (this.#queue.length > 0 && performance.now() < end) {
      for (let i = 0; i < 200 && this.#queue.length > 0; i++)
        this.#indexConversation(this.#queue.pop()!)
      did = true
    }
    if (this.#queue.length === 0) did = this.#stepContacts(end) || did
    if (this.#queue.length === 0 && this.#pendingContacts === null) this.#readStored()
    if (did) {
      this.index.prepare()
      this.#changed()
    }
    const more =
      this.#queue.length > 0 ||
      this.#pendingContacts !== null ||
      this.#contactsDirty ||
      this.#changedContacts.size > 0
    if (more) this.#schedule()
    else if (this.#waiting === 0 && this.#stored.length === 0 && this.#reading === 0) {
      // The browser benchmark reads how long the first full index took from this mark.
      if (this.indexing && performance.getEntriesByName(SEARCH_INDEXED).length === 0)
        performance.mark(SEARCH_INDEXED)
      this.indexing = false
    }
  }

  #indexConversation({ inbox, id, conversation }: Queued): void {
    if (!this.#inboxes.has(inbox.phoneNumberId)) return
    const c = conversation ?? inbox.get(id)
    if (!c) {
      if (this.#phoneOf.get(id) === inbox.phoneNumberId) this.#forget(id)
      return
    }
    this.#phoneOf.set(id, inbox.phoneNumberId)
    const number = c.participants[0]
    const before = this.#numberOf.get(id)
    if (before !== undefined && before !== number) this.#byNumber.get(before)?.delete(id)
    if (number) {
      this.#numberOf.set(id, number)
      let ids = this.#byNumber.get(number)
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      if (!ids) this.#byNumber.set(number, (ids = new Set()))
      ids.add(id)
    }
    const name = this.#names?.peek(c) ?? null
    this.index.set(conversationDoc(c, name))
    // The list's own filter reads the same conversation on the first key: fold it now, idle.
    haystackOf(c, name)
  }

  /** Contacts: the whole room once it loads (in slices), then each changed contact alone. */
  #stepContacts(end: number): boolean {
    if (this.#contactsDirty && this.#pendingContacts === null) {
      this.#contactsDirty = false
      // The pass reads every contact as it is now: the changes heard so far are in it.
      this.#changedContacts.clear()
      this.#pendingContacts = this.#contacts.list()
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      this.#seenContacts = new Set()
    }
    const contacts = this.#pendingContacts
    if (!contacts) return this.#stepChangedContacts(end)
    while (contacts.length > 0 && performance.now() < end) {
      // Read as `get` reads them, whatever form a contact's notes take in the document.
      const contact = contacts.pop()!
      const doc = contactDoc(contact)
      const key = searchDocKey.contact(contact.number)
      this.#seenContacts.add(key)
      if (doc) this.index.set(doc)
      else this.index.remove(key)
    }
    if (contacts.length === 0) {
      for (const key of this.#contactKeys) if (!this.#seenContacts.has(key)) this.index.remove(key)
      this.#contactKeys = this.#seenContacts
      this.#pendingContacts = null
    }
    return true
  }

  #stepChangedContacts(end: number): boolean {
    if (this.#changedContacts.size === 0) return false
    for (const number of this.#changedContacts) {
      if (performance.now() >= end) break
      this.#changedContacts.delete(number)
      const doc = contactDoc(this.#contacts.get(number))
      const key = searchDocKey.contact(number)
      if (doc) {
        this.index.set(doc)
        this.#contactKeys.add(key)
      } else {
        this.index.remove(key)
        this.#contactKeys.delete(key)
      }
    }
    return true
  }

  /** Reads conversations held in IndexedDB and not opened in this session, a few at a time. */
  #readStored(): void {
    while (this.#reading < READS_IN_FLIGHT && this.#stored.length > 0) {
      const id = this.#stored.pop()!
      if (this.#threadsIndexed.has(id)) continue
      this.#reading++
      void readStoredConversation(id, { prefix: this.#prefix })
        .then(
          (stored) => {
            if (stored && !this.#threadsIndexed.has(id) && !this.#destroyed)
              this.indexThread(id, stored.activities, stored.notes)
          },
          () => {},
        )
        .finally(() => {
          this.#reading--
          this.#schedule()
        })
    }
  }

  destroy(): void {
    this.#destroyed = true
    clearTimeout(this.#changedTimer)
    for (const off of this.#offs.splice(0)) off()
    for (const { offs } of this.#inboxes.values()) for (const off of offs) off()
    this.#inboxes.clear()
  }
}
