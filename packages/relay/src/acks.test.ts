import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { ackedClients } from './acks.ts'

/** Updates of a few shapes: one writer, several writers merged, deletions only, GC'd structs. */
function updates(): Uint8Array[] {
  const a = new Y.Doc()
  const b = new Y.Doc()
  const c = new Y.Doc({ gc: true })
  const out: Uint8Array[] = []
  const record = (doc: Y.Doc) => {
    const got: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => got.push(u))
    return got
  }
  const fromA = record(a)
  a.getMap('marks').set('k1', { kind: 'done' })
  a.getMap('marks').set('k1', { kind: 'open' })
  out.push(...fromA)
  b.getMap('marks').set('k2', { kind: 'pin' })
  out.push(Y.mergeUpdates([...fromA, Y.encodeStateAsUpdate(b)]))
  const arr = c.getArray<number>('history')
  arr.push([1, 2, 3])
  arr.delete(0, 2)
  out.push(Y.encodeStateAsUpdate(c))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(c))
  const fromB = record(b)
  b.getArray('history').delete(0, 1)
  out.push(...fromB)
  return out
}

describe('the client ids an update acknowledges, read from its decoded structs as from its bytes', () => {
  it('[protocol ack] name every client id with structs in the update, in the order Y.parseUpdateMeta gives', () => {
    const all = updates()
    expect(all.length).toBeGreaterThan(4)
    for (const update of all) {
      const fromStructs = ackedClients(update, Y.decodeUpdate(update).structs)
      expect(fromStructs).toEqual([...Y.parseUpdateMeta(update).to.keys()])
      expect(fromStructs).toEqual(ackedClients(update))
    }
  })

  it('[protocol ack] a deletions-only update acknowledges no client', () => {
    const deletionsOnly = updates().at(-1)!
    expect(Y.decodeUpdate(deletionsOnly).structs).toEqual([])
    expect(ackedClients(deletionsOnly, [])).toEqual([])
  })
})
