import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { encodeDeletionsOnlyUpdate, subtractDeleteSets, type DeleteSet } from './delete-sets.ts'

/** A delete set of the given ranges per client, in the order given. */
function deleteSet(clients: Record<number, [clock: number, len: number][]>): DeleteSet {
  const ds = Y.createDeleteSet()
  for (const [client, ranges] of Object.entries(clients))
    ds.clients.set(
      Number(client),
      ranges.map(([clock, len]) => ({ clock, len })),
    )
  return ds
}

const plain = (missing: Map<number, { clock: number; len: number }[]>) =>
  Object.fromEntries([...missing].map(([c, rs]) => [c, rs.map((r) => [r.clock, r.len])]))

describe('the deletions a replica lacks (a warm rejoin is sent only those)', () => {
  it('nothing when the other side lists every deleted range', () => {
    const have = deleteSet({ 1: [[0, 5]], 2: [[3, 1]] })
    expect(subtractDeleteSets(have, have).size).toBe(0)
    expect(subtractDeleteSets(have, deleteSet({ 1: [[0, 10]], 2: [[0, 9]] })).size).toBe(0)
  })

  it('the parts of each range the other side does not list, split around what it does', () => {
    const have = deleteSet({ 1: [[0, 10]], 2: [[4, 2]] })
    const known = deleteSet({
      1: [
        [2, 3],
        [7, 1],
      ],
    })
    expect(plain(subtractDeleteSets(have, known))).toEqual({
      1: [
        [0, 2],
        [5, 2],
        [8, 2],
      ],
      2: [[4, 2]],
    })
  })

  it('either side in any clock order gives the same answer', () => {
    const sorted = subtractDeleteSets(
      deleteSet({
        1: [
          [0, 2],
          [5, 5],
        ],
      }),
      deleteSet({
        1: [
          [1, 1],
          [6, 2],
        ],
      }),
    )
    const shuffled = subtractDeleteSets(
      deleteSet({
        1: [
          [5, 5],
          [0, 2],
        ],
      }),
      deleteSet({
        1: [
          [6, 2],
          [1, 1],
        ],
      }),
    )
    expect(plain(shuffled)).toEqual(plain(sorted))
    expect(plain(sorted)).toEqual({
      1: [
        [0, 1],
        [5, 1],
        [8, 2],
      ],
    })
  })

  it('matches what a replica lacks after deletions it has not seen', () => {
    const relay = new Y.Doc()
    const list = relay.getArray<number>('history')
    list.push([1, 2, 3, 4, 5, 6])
    const client = new Y.Doc()
    Y.applyUpdate(client, Y.encodeStateAsUpdate(relay))
    list.delete(1, 2)
    list.delete(3, 1)
    const missing = subtractDeleteSets(
      Y.createDeleteSetFromStructStore(relay.store),
      Y.createDeleteSetFromStructStore(client.store),
    )
    Y.applyUpdate(client, encodeDeletionsOnlyUpdate(missing))
    expect(client.getArray('history').toArray()).toEqual(list.toArray())
  })
})

describe('a deletions-only update', () => {
  it('holds no struct and decodes to the deletions it was given', () => {
    const deletions = new Map([
      [7, [{ clock: 0, len: 2 }]],
      [
        3,
        [
          { clock: 4, len: 1 },
          { clock: 9, len: 3 },
        ],
      ],
    ])
    const { structs, ds } = Y.decodeUpdate(encodeDeletionsOnlyUpdate(deletions))
    expect(structs).toEqual([])
    expect(plain(ds.clients as Map<number, { clock: number; len: number }[]>)).toEqual(
      plain(deletions),
    )
  })

  it('of no deletions is the empty update', () => {
    expect(encodeDeletionsOnlyUpdate(new Map())).toEqual(Y.encodeStateAsUpdate(new Y.Doc()))
  })
})
