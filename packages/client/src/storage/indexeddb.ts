/**
 * @module IndexedDB storage for browsers, in y-indexeddb's layout (one database per room, an
 * auto-increment `updates` store), so data written by `IndexeddbPersistence` loads here too.
 * Unlike y-indexeddb, `append` resolves only when the write transaction has completed
 * (`durability: 'strict'`), which is the signal the client needs before a mark resolves.
 *
 * Tabs of one browser share the databases. A compaction replaces only the records this
 * instance has loaded or appended — what its caller's snapshot covers — and keeps any another
 * tab appended meanwhile (e.g. that tab's offline marks), as y-indexeddb deletes only up to the
 * last record it read.
 */
import type { ClientStorage } from './client-storage.ts'

const UPDATES = 'updates'

export interface IndexeddbStorageOptions {
  /** Database name prefix; rooms become `<prefix><room>`. Default `switchboard:`. */
  prefix?: string
  /** Defaults to `globalThis.indexedDB`. */
  indexedDB?: IDBFactory
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

export function indexeddbStorage(options: IndexeddbStorageOptions = {}): ClientStorage {
  const prefix = options.prefix ?? 'switchboard:'
  const factory = options.indexedDB ?? globalThis.indexedDB
  if (!factory) throw new Error('indexeddbStorage: no IndexedDB in this environment')
  const dbs = new Map<string, Promise<IDBDatabase>>()
  const known = new Set<string>()
  /** room → keys of the records this instance loaded or wrote (what a snapshot replaces) */
  const seen = new Map<string, Set<IDBValidKey>>()
  const seenIn = (room: string) => {
    let keys = seen.get(room)
    if (!keys) seen.set(room, (keys = new Set()))
    return keys
  }

  function open(room: string): Promise<IDBDatabase> {
    let db = dbs.get(room)
    if (!db) {
      known.add(room)
      const req = factory.open(prefix + room)
      req.onupgradeneeded = () => {
        const created = req.result
        if (!created.objectStoreNames.contains(UPDATES))
          created.createObjectStore(UPDATES, { autoIncrement: true })
        if (!created.objectStoreNames.contains('custom')) created.createObjectStore('custom')
      }
      db = request(req)
      dbs.set(room, db)
    }
    return db
  }

  function write(db: IDBDatabase): IDBTransaction {
    return db.transaction([UPDATES], 'readwrite', { durability: 'strict' })
  }

  async function drop(room: string): Promise<void> {
    const db = dbs.get(room)
    dbs.delete(room)
    seen.delete(room)
    if (db) (await db).close()
    await request(factory.deleteDatabase(prefix + room) as IDBRequest<unknown>)
  }

  return {
    async load(room) {
      const db = await open(room)
      const tx = db.transaction([UPDATES], 'readonly')
      const store = tx.objectStore(UPDATES)
      // One transaction: the keys and values are the same records.
      const [keys, values] = await Promise.all([
        request(store.getAllKeys()),
        request(store.getAll()),
      ])
      const mine = seenIn(room)
      for (const key of keys) mine.add(key)
      return values.map((v: unknown) => new Uint8Array(v as ArrayBufferLike))
    },
    async append(room, record) {
      const tx = write(await open(room))
      const [key] = await Promise.all([
        request(tx.objectStore(UPDATES).add(record.slice())),
        done(tx),
      ])
      seenIn(room).add(key)
    },
    async compact(room, snapshot) {
      const tx = write(await open(room))
      const store = tx.objectStore(UPDATES)
      const mine = seenIn(room)
      for (const key of mine) store.delete(key)
      const [key] = await Promise.all([request(store.add(snapshot.slice())), done(tx)])
      mine.clear()
      mine.add(key)
    },
    async clear(room) {
      if (room !== undefined) return drop(room)
      const all = new Set(known)
      if (typeof factory.databases === 'function') {
        for (const info of await factory.databases())
          if (info.name?.startsWith(prefix)) all.add(info.name.slice(prefix.length))
      }
      for (const name of all) await drop(name)
      known.clear()
      seen.clear()
    },
    async close() {
      for (const db of dbs.values()) (await db).close()
      dbs.clear()
      seen.clear()
    },
  }
}
