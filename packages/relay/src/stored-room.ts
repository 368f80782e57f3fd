/**
 * @module A room's document from its stored snapshot and log. A room whose stored bytes cannot
 * be read is refused, never started empty (DESIGN §4, "Refused, never empty").
 */
import * as Y from 'yjs'
import type { LogSize } from './compaction-policy.ts'
import { StorageError, type StoredRoom } from './storage/relay-storage.ts'

/** The document `stored` holds; throws StorageError('unreadable') when it cannot be read whole. */
export function docFromStore(name: string, stored: StoredRoom): Y.Doc {
  // The room's name as its guid: Yjs's random default draws 32 random numbers per document.
  const doc = new Y.Doc({ gc: true, guid: name })
  try {
    // One transaction: its cleanup (merging structs, the delete set) runs once, not per entry;
    // a room taken over from a drained relay is read with hundreds of entries while its clients wait.
    doc.transact(() => {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    })
  } catch (cause) {
    doc.destroy()
    throw new StorageError('unreadable', `room ${name}: stored updates cannot be decoded`, {
      cause,
    })
  }
  if (doc.store.pendingStructs || doc.store.pendingDs) {
    doc.destroy()
    throw new StorageError('unreadable', `room ${name}: stored updates have missing parts`)
  }
  return doc
}

/** The size of the stored log since the snapshot, and the snapshot's. */
export function logSizeOf({ snapshot, updates }: StoredRoom): LogSize {
  let bytes = 0
  for (const u of updates) bytes += u.data.byteLength
  return { count: updates.length, bytes, snapshotBytes: snapshot?.byteLength ?? 0 }
}
