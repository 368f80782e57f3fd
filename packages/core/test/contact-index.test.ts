import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  getContact,
  listContacts,
  onContactsChange,
  updateContact,
  type Contact,
} from '../src/index.ts'
import { SEP } from '../src/schema.ts'
import { sync } from './helpers.ts'

const NUMBERS = ['+15550100', '+15550111', '+15550122', '+15550133']

/** The contact as a scan of the whole room reads it: what the index must agree with. */
function scanned(doc: Y.Doc, number: string): Contact {
  return listContacts(doc).find((c) => c.number === number) ?? getContact(new Y.Doc(), number)
}

/** A small seeded generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('contacts read by their own keys', () => {
  it('one contact read without scanning the room equals the scan, through local and remote changes; every contact whose read changed is heard', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
      const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()]
      // A document that already holds contacts when first read, then follows changes.
      updateContact(docs[0]!, NUMBERS[0]!, { name: 'Ann', tags: { add: ['vip'] } })
      sync(docs[0]!, docs[1]!)
      const heard = docs.map(() => new Set<string>())
      docs.forEach((doc, i) => onContactsChange(doc, (ns) => ns.forEach((n) => heard[i]!.add(n))))
      for (let step = 0; step < 60; step++) {
        const i = Math.floor(next() * docs.length)
        const doc = docs[i]!
        const before = docs.map((d) => NUMBERS.map((n) => JSON.stringify(getContact(d, n))))
        heard.forEach((h) => h.clear())
        const number = pick(NUMBERS)
        const op = next()
        if (op < 0.2) updateContact(doc, number, { name: pick(['Bo', null, 'Cy', '']) })
        else if (op < 0.4)
          updateContact(doc, number, {
            tags: next() < 0.5 ? { add: [pick(['vip', 'late'])] } : { remove: ['vip'] },
          })
        else if (op < 0.55)
          updateContact(doc, number, {
            properties: { [pick(['plan', 'city'])]: pick(['a', null]) },
          })
        else if (op < 0.7) updateContact(doc, number, { notes: pick(['', 'hi', 'calls Mondays']) })
        // The string notes written before notes were shared text, and a key deleted outright.
        else if (op < 0.75) doc.getMap('contacts').set(number + SEP + 'notes', 'old note')
        else if (op < 0.8) doc.getMap('contacts').delete(number + SEP + 'name')
        else sync(doc, docs[(i + 1) % docs.length]!)
        docs.forEach((d, j) => {
          NUMBERS.forEach((n, k) => {
            const read = getContact(d, n)
            expect(read, `seed ${seed} step ${step} doc ${j} ${n}`).toEqual(scanned(d, n))
            if (JSON.stringify(read) !== before[j]![k])
              expect(heard[j]!.has(n), `seed ${seed} step ${step} doc ${j} heard ${n}`).toBe(true)
          })
        })
      }
    }
  })

  it('a change is heard with the numbers it touched, and only those', () => {
    const alice = new Y.Doc()
    const bob = new Y.Doc()
    const heard: string[][] = []
    onContactsChange(bob, (numbers) => heard.push([...numbers].sort()))
    updateContact(alice, NUMBERS[0]!, { name: 'Ann' })
    updateContact(alice, NUMBERS[1]!, { notes: 'Calls on Mondays' })
    sync(alice, bob)
    expect(heard).toEqual([[NUMBERS[0], NUMBERS[1]]])
    updateContact(bob, NUMBERS[2]!, { properties: { plan: 'pro' } })
    bob.getMap('other').set('x', 1)
    expect(heard).toEqual([[NUMBERS[0], NUMBERS[1]], [NUMBERS[2]]])
  })
})
