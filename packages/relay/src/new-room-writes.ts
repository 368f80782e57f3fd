/**
 * @module A room's first write when nothing of it is stored or loaded (a new conversation's first
 * activity): its update goes straight to the log, under a client id of its own bound to the relay
 * [M8], without loading the room — a burst of webhooks from new contacts would otherwise load a
 * room per contact only to write one entry. A load of the room waits for such writes first.
 */
import * as Y from 'yjs'
import { RELAY_WRITER } from './ownership.ts'
import type { RelayStorage } from './storage/relay-storage.ts'

export interface NewRoomWrites {
  /** Writes `fn`'s change as the room's first update; resolves once it is durable. */
  write(name: string, fn: (doc: Y.Doc) => void): Promise<void>
  /** Resolves once every write to `name` made so far is stored (or failed). */
  settled(name: string): Promise<void>
}

export function createNewRoomWrites(
  storage: Pick<RelayStorage, 'appendUpdate' | 'bindClient'>,
): NewRoomWrites {
  const inFlight = new Map<string, Promise<unknown>>()
  return {
    write(name, fn) {
      const doc = new Y.Doc({ guid: name })
      fn(doc)
      const update = Y.encodeStateAsUpdate(doc)
      doc.destroy()
      storage.bindClient(name, doc.clientID, RELAY_WRITER)
      const stored = Promise.all([storage.appendUpdate(name, update), inFlight.get(name)])
      const done = stored.finally(() => {
        if (inFlight.get(name) === done) inFlight.delete(name)
      })
      inFlight.set(name, done)
      return stored.then(() => {})
    },
    settled(name) {
      return (inFlight.get(name) ?? Promise.resolve()).then(
        () => {},
        () => {},
      )
    },
  }
}
