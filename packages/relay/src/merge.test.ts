/**
 * `mergeDecoded` writes a batch of whole client updates from the structs the relay decoded: the
 * same bytes `Y.mergeUpdates` writes, hence the same document everywhere.
 */
import { markConversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { mergeDecoded } from './merge.ts'
import { integratesWhole } from './integrates-whole.ts'
import { author, updatesOf } from './test-helpers.ts'

/** Batches as the relay would see them: updates of three writers interleaved, each whole. */
function batches(): { room: Y.Doc; batch: Uint8Array[] }[] {
  const room = new Y.Doc({ gc: true })
  const writers = [new Y.Doc(), new Y.Doc(), new Y.Doc({ gc: true })]
  const out: { room: Y.Doc; batch: Uint8Array[] }[] = []
  for (let round = 0; round < 6; round++) {
    for (const w of writers) Y.applyUpdate(w, Y.encodeStateAsUpdate(room))
    const start = new Y.Doc()
    Y.applyUpdate(start, Y.encodeStateAsUpdate(room))
    const batch: Uint8Array[] = []
    for (let i = 0; i < 4; i++)
      writers.forEach((w, k) => {
        const me = author(`m${k}`, `d${k}`)
        batch.push(
          ...updatesOf(w, () => {
            if ((i + k + round) % 3 === 0) {
              w.transact(() => {
                const h = w.getArray('history')
                if (h.length > 0) h.delete(0, 1)
                h.push([{ round, i, k }])
              })
            } else markConversation(w, `c${(i + k) % 3}`, i % 2 ? 'done' : 'unread', me)
          }),
        )
      })
    out.push({ room: start, batch })
    for (const u of batch) Y.applyUpdate(room, u)
  }
  return out
}

describe('mergeDecoded', () => {
  it('writes the bytes Y.mergeUpdates writes for batches of whole updates', () => {
    for (const { room, batch } of batches()) {
      const parts = batch.map((u) => {
        const d = Y.decodeUpdate(u)
        expect(integratesWhole(room, d.structs, d.ds)).toBe(true)
        Y.applyUpdate(room, u)
        return d
      })
      expect(mergeDecoded(parts)).toEqual(Y.mergeUpdates(batch))
    }
  })

  it('gives the same document as applying the updates one by one', () => {
    for (const { room, batch } of batches()) {
      const merged = mergeDecoded(batch.map((u) => Y.decodeUpdate(u)))
      const one = new Y.Doc()
      const each = new Y.Doc()
      Y.applyUpdate(one, Y.encodeStateAsUpdate(room))
      Y.applyUpdate(each, Y.encodeStateAsUpdate(room))
      Y.applyUpdate(one, merged)
      for (const u of batch) Y.applyUpdate(each, u)
      expect(Y.encodeStateAsUpdate(one)).toEqual(Y.encodeStateAsUpdate(each))
      expect(one.store.pendingStructs).toBeNull()
    }
  })
})
