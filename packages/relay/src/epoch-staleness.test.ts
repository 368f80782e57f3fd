import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { freshClientId, staleStateVector, staleUpdate } from './epoch-staleness.ts'

/** A document writing as `clientID`. */
function docOf(clientID: number): Y.Doc {
  const doc = new Y.Doc()
  doc.clientID = clientID
  return doc
}

describe('[E4] no mixing of epochs', () => {
  it('a state vector naming a retired client id is stale; one naming only current ids is not', () => {
    const old = docOf(11)
    old.getMap('marks').set('k', 1)
    const current = docOf(22)
    current.getMap('marks').set('k', 2)
    const retired = new Set([11])
    expect(staleStateVector(retired, Y.encodeStateVector(old))).toBe(true)
    expect(staleStateVector(retired, Y.encodeStateVector(current))).toBe(false)
    expect(staleStateVector(new Set(), Y.encodeStateVector(old))).toBe(false)
  })

  it('an update is stale when it carries, builds on or deletes a struct of a retired client id', () => {
    const old = docOf(11)
    old.getArray<number>('history').push([1, 2])
    const base = Y.encodeStateAsUpdate(old)
    const retired = new Set([11])
    expect(staleUpdate(retired, Y.decodeUpdate(base))).toBe(true)

    const replica = docOf(33)
    Y.applyUpdate(replica, base)
    /** The update a change on the replica makes, as its `update` event carries it. */
    const next = (change: (doc: Y.Doc) => void) => {
      let update: Uint8Array | null = null
      const record = (u: Uint8Array) => void (update = u)
      replica.on('update', record)
      change(replica)
      replica.off('update', record)
      return Y.decodeUpdate(update!)
    }
    // Its origin is a struct of client 11.
    expect(
      staleUpdate(
        retired,
        next((d) => d.getArray<number>('history').push([3])),
      ),
    ).toBe(true)
    // It deletes a struct of client 11.
    expect(
      staleUpdate(
        retired,
        next((d) => d.getArray('history').delete(0, 1)),
      ),
    ).toBe(true)
    // Nothing of client 11 in it.
    expect(
      staleUpdate(
        retired,
        next((d) => d.getMap('marks').set('k', 3)),
      ),
    ).toBe(false)
    expect(staleUpdate(new Set(), Y.decodeUpdate(base))).toBe(false)
  })

  it('a fresh client id is the preferred one when free, and never a taken one', () => {
    expect(freshClientId(new Set([1, 2]), 7)).toBe(7)
    const taken = new Set([7])
    const id = freshClientId(taken, 7)
    expect(taken.has(id)).toBe(false)
    expect(Number.isInteger(id) && id >= 0 && id < 2 ** 32).toBe(true)
    for (let i = 0; i < 100; i++) expect(freshClientId(taken)).not.toBe(7)
  })
})
