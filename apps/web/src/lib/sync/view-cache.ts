/**
 * @module The first rows of each inbox tab as last shown, kept in IndexedDB beside the member's
 * replica, so a reload paints the list before the replica has parsed its rooms. Parsing a room of
 * 100,000 conversations takes seconds (Yjs decodes every value); this read takes milliseconds.
 * The cache is only a picture: nothing is written from it, and the list is replaced by the
 * replica's own as soon as the inbox has loaded.
 */
import type { Conversation } from '@switchboard/core'

/** Rows kept per tab: more than a tall window shows, with the list's overscan. */
export const CACHED_ROWS = 60

export interface CachedView {
  rows: Conversation[]
  /** How many conversations the tab held. */
  total: number
}

const STORE = 'views'

export function viewKey(phoneNumberId: string, tab: string): string {
  return `${phoneNumberId}\u001f${tab}`
}

/** The picture of a tab's list worth keeping: its first rows and its length. */
export function snapshotView(items: readonly Conversation[]): CachedView {
  return { rows: items.slice(0, CACHED_ROWS), total: items.length }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

export class ViewCache {
  readonly #db: Promise<IDBDatabase>

  constructor(name: string, factory: IDBFactory = globalThis.indexedDB) {
    const req = factory.open(name)
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE)
    }
    this.#db = request(req).then((db) => {
      // Never hold up a deletion of the member's databases.
      db.onversionchange = () => db.close()
      return db
    })
  }

  /** Every cached view, by `viewKey`; empty when the cache cannot be read. */
  async readAll(): Promise<Map<string, CachedView>> {
    try {
      const db = await this.#db
      const store = db.transaction([STORE], 'readonly').objectStore(STORE)
      const [keys, values] = await Promise.all([
        request(store.getAllKeys()),
        request(store.getAll() as IDBRequest<CachedView[]>),
      ])
      return new Map(keys.map((k, i) => [String(k), values[i]!]))
    } catch {
      return new Map()
    }
  }

  async write(views: Map<string, CachedView>): Promise<void> {
    const db = await this.#db
    const tx = db.transaction([STORE], 'readwrite')
    for (const [key, view] of views) tx.objectStore(STORE).put(view, key)
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error ?? new Error('view cache write aborted'))
    })
  }

  async close(): Promise<void> {
    ;(await this.#db.catch(() => null))?.close()
  }
}
