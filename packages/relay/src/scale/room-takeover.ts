/**
 * @module The relay's own writes that are not sent to a room's owner (docs/scale-out.md "What
 * still takes rooms": a reply's text, a call's notes; and the writes of scale/owner-requests.ts
 * when the owner does not answer): on a store shared by several relays, a room a live relay owns
 * is taken from it for them, as every load did before claims became conditional. The owner's
 * next append is then refused by the fence (nothing lost or written twice) and its sockets move
 * here. Its reads read the room as stored instead, never taking it.
 */
import type * as Y from 'yjs'
import type { RelayStorage } from '../storage/relay-storage.ts'
import { isOwnedElsewhere } from '../storage/storage-error.ts'
import { docFromStore } from '../stored-room.ts'

/** `use(name, …)`, taking the room first when a live relay owns it; `use` itself without a shared store. */
export function withTakeover<A extends unknown[], R>(
  storage: Pick<RelayStorage, 'takeRoom'>,
  use: (name: string, ...rest: A) => Promise<R>,
): (name: string, ...rest: A) => Promise<R> {
  if (!storage.takeRoom) return use
  const take = storage.takeRoom.bind(storage)
  return async (name, ...rest) => {
    try {
      return await use(name, ...rest)
    } catch (error) {
      if (!isOwnedElsewhere(error)) throw error
      await take(name)
      return use(name, ...rest)
    }
  }
}

/**
 * `read(name, fn)`, or, when a live relay owns the room, `fn` on the room as stored (read without
 * claiming it: a read never moves a room); `read` itself without a shared store.
 */
export function readWithoutClaim<T>(
  storage: Pick<RelayStorage, 'peekRoom'>,
  read: (name: string, fn: (doc: Y.Doc) => T) => Promise<T>,
): (name: string, fn: (doc: Y.Doc) => T) => Promise<T> {
  if (!storage.peekRoom) return read
  const peek = storage.peekRoom.bind(storage)
  return async (name, fn) => {
    try {
      return await read(name, fn)
    } catch (error) {
      if (!isOwnedElsewhere(error)) throw error
      const doc = docFromStore(name, await peek(name))
      try {
        return fn(doc)
      } finally {
        doc.destroy()
      }
    }
  }
}
