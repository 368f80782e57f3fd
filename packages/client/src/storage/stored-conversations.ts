/**
 * @module The conversations this browser holds in IndexedDB, read without opening their rooms:
 * search indexes their messages offline, and opening a room would connect it to the relay. A
 * room whose database is gone (revoked, erased) is never created again by a read.
 */
import { listActivities, listNotes, roomName, type Activity, type Note } from '@switchboard/core'
import * as Y from 'yjs'

export interface StoredConversation {
  id: string
  activities: Activity[]
  notes: Note[]
}

export interface StoredConversationsOptions {
  /** The replica's database prefix, as given to `indexeddbStorage` (default `switchboard:`). */
  prefix?: string
  indexedDB?: IDBFactory
}

const UPDATES = 'updates'

function factoryOf(options: StoredConversationsOptions): IDBFactory | null {
  return options.indexedDB ?? globalThis.indexedDB ?? null
}

/** Ids of the conversations stored under the prefix; empty where IndexedDB cannot list them. */
export async function storedConversationIds(
  options: StoredConversationsOptions = {},
): Promise<string[]> {
  const factory = factoryOf(options)
  if (!factory || typeof factory.databases !== 'function') return []
  const start = (options.prefix ?? 'switchboard:') + roomName.conversation('')
  const ids: string[] = []
  for (const info of await factory.databases())
    if (info.name?.startsWith(start)) ids.push(info.name.slice(start.length))
  return ids
}

/** A stored conversation's activities and notes; null when this browser holds none. */
export async function readStoredConversation(
  id: string,
  options: StoredConversationsOptions = {},
): Promise<StoredConversation | null> {
  const factory = factoryOf(options)
  if (!factory) return null
  const records = await readRecords(
    factory,
    (options.prefix ?? 'switchboard:') + roomName.conversation(id),
  )
  if (!records || records.length === 0) return null
  const doc = new Y.Doc({ gc: false })
  try {
    Y.transact(doc, () => {
      for (const r of records) Y.applyUpdate(doc, r)
    })
    return { id, activities: listActivities(doc), notes: listNotes(doc) }
  } finally {
    doc.destroy()
  }
}

function readRecords(factory: IDBFactory, name: string): Promise<Uint8Array[] | null> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name)
    let created = false
    // No such database: abort its creation rather than leave an empty one behind.
    req.onupgradeneeded = () => {
      created = true
      req.transaction?.abort()
    }
    req.onerror = () => (created ? resolve(null) : reject(req.error))
    req.onblocked = () => resolve(null)
    req.onsuccess = () => {
      const db = req.result
      if (!db.objectStoreNames.contains(UPDATES)) {
        db.close()
        resolve(null)
        return
      }
      const all = db.transaction([UPDATES], 'readonly').objectStore(UPDATES).getAll()
      all.onsuccess = () => {
        db.close()
        resolve(all.result.map((v: unknown) => new Uint8Array(v as ArrayBufferLike)))
      }
      all.onerror = () => {
        db.close()
        reject(all.error)
      }
    }
  })
}
