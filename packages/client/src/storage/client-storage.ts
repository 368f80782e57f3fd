/**
 * @module The replica's local persistence, as a small byte-oriented interface (like
 * automerge-repo's adapters): the client knows Yjs, storage only knows rooms and records.
 */

/** Where a replica keeps its rooms between runs. One contract suite runs against every implementation. */
export interface ClientStorage {
  /** Every record appended (or the last snapshot plus later appends) for `room`, in append order. */
  load(room: string): Promise<Uint8Array[]>
  /** Store one record; durable on this device when the promise resolves. */
  append(room: string, record: Uint8Array): Promise<void>
  /**
   * Replace every record of `room` this storage has loaded or appended with `snapshot`,
   * atomically: a crash leaves either the old records or the snapshot. The caller serializes it
   * with its own appends. Where several instances share the data (browser tabs on one
   * IndexedDB), records another one appended since this one loaded are kept: the snapshot does
   * not cover them.
   */
  compact(room: string, snapshot: Uint8Array): Promise<void>
  /** Forget `room`, or every room when omitted. */
  clear(room?: string): Promise<void>
  /** Release files, databases and locks. */
  close(): Promise<void>
}

/** Keeps records in memory: for tests and throwaway replicas. Copies bytes in and out. */
export function memoryStorage(): ClientStorage {
  const rooms = new Map<string, Uint8Array[]>()
  return {
    async load(room) {
      return (rooms.get(room) ?? []).map((r) => r.slice())
    },
    async append(room, record) {
      let list = rooms.get(room)
      if (!list) rooms.set(room, (list = []))
      list.push(record.slice())
    },
    async compact(room, snapshot) {
      rooms.set(room, [snapshot.slice()])
    },
    async clear(room) {
      if (room === undefined) rooms.clear()
      else rooms.delete(room)
    },
    async close() {},
  }
}
