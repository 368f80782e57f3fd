import { describe, expect, it } from 'vitest'
import { TextIndex, type SearchDoc } from '../src/search-index.ts'

const doc = (key: string, group: string, text: string, weight = 3, at = 0): SearchDoc => ({
  key,
  group,
  at,
  fields: [{ text, weight }],
})

describe('TextIndex', () => {
  it('finds a word by its prefix, folded for case and accents', () => {
    const index = new TextIndex()
    index.set(doc('m1', 'c1', 'Le café était FERMÉ hier'))
    expect(index.search('cafe').map((h) => h.group)).toEqual(['c1'])
    expect(index.search('fer').map((h) => h.group)).toEqual(['c1'])
    expect(index.search('afe')).toEqual([])
  })

  it('needs every word of the query within one group, across its documents', () => {
    const index = new TextIndex()
    index.set({ key: 'c1', group: 'c1', at: 0, fields: [{ text: 'Alice Martin', weight: 7 }] })
    index.set(doc('m1', 'c1', 'I would like a refund'))
    index.set(doc('m2', 'c2', 'refund please'))
    expect(index.search('refund alice').map((h) => h.group)).toEqual(['c1'])
    expect(
      index
        .search('refund')
        .map((h) => h.group)
        .sort(),
    ).toEqual(['c1', 'c2'])
  })

  it('ranks an exact word over a prefix, a heavier field over a lighter one, then the newest', () => {
    const index = new TextIndex()
    index.set(doc('a', 'prefix', 'invoices', 3, 100))
    index.set(doc('b', 'exact', 'invoice', 3, 1))
    index.set(doc('c', 'name', 'Invoice', 7, 1))
    index.set(doc('d', 'exact-newer', 'invoice', 3, 50))
    expect(index.search('invoice').map((h) => h.group)).toEqual([
      'name',
      'exact-newer',
      'exact',
      'prefix',
    ])
  })

  it('finds a phone number by any run of its digits', () => {
    const index = new TextIndex()
    index.set({
      key: 'c1',
      group: 'c1',
      at: 0,
      fields: [{ text: '+14155550142', weight: 6, kind: 'number' }],
    })
    expect(index.search('555-0142').map((h) => h.group)).toEqual(['c1'])
    expect(index.search('(415) 555').map((h) => h.group)).toEqual(['c1'])
    expect(index.search('9999')).toEqual([])
  })

  it('forgets a replaced number, also after the digits table drops its removed entries', () => {
    const index = new TextIndex()
    const numbered = (key: string, number: string): SearchDoc => ({
      key,
      group: key,
      at: 0,
      fields: [{ text: number, weight: 6, kind: 'number' }],
    })
    for (let i = 0; i < 3000; i++) index.set(numbered(`c${i}`, `+1415${String(1_000_000 + i)}`))
    index.set(numbered('c1', '+33612345678'))
    expect(index.search('4151000001')).toEqual([])
    expect(index.search('612345').map((h) => h.group)).toEqual(['c1'])
    for (let i = 0; i < 3000; i++) if (i !== 7) index.remove(`c${i}`)
    expect(index.search('4151000007').map((h) => h.group)).toEqual(['c7'])
    expect(index.search('415100').map((h) => h.group)).toEqual(['c7'])
  })

  it('replaces a document: the old words are no longer found, and compaction keeps the rest', () => {
    const index = new TextIndex()
    index.set(doc('c1', 'c1', 'first words'))
    index.set(doc('c1', 'c1', 'second text'))
    expect(index.search('first')).toEqual([])
    expect(index.search('second')[0]).toMatchObject({ group: 'c1', doc: 'c1' })
    index.remove('c1')
    expect(index.search('second')).toEqual([])
    expect(index.size).toBe(0)
    index.set(doc('c2', 'c2', 'second life'))
    index.compact()
    expect(index.search('second').map((h) => h.group)).toEqual(['c2'])
  })

  it('keeps the best `limit` groups out of many, and answers terms added after a query', () => {
    const index = new TextIndex()
    for (let i = 0; i < 500; i++) index.set(doc(`m${i}`, `c${i}`, `order ${i}`, 3, i))
    const top = index.search('order', 10)
    expect(top.map((h) => h.group)).toEqual(Array.from({ length: 10 }, (_, i) => `c${499 - i}`))
    index.set(doc('late', 'late', 'zebra crossing'))
    expect(index.search('zeb').map((h) => h.group)).toEqual(['late'])
  })

  it('keeps the same best `limit` as sorting every match would', () => {
    const index = new TextIndex()
    const docs = Array.from({ length: 400 }, (_, i) =>
      // Scores from the field's weight and whether the word is whole; many equal times.
      doc(`m${i}`, `c${i}`, i % 3 ? `order ${i}` : `orders ${i}`, 1 + (i % 4), (i * 7919) % 50),
    )
    for (const d of docs) index.set(d)
    const all = index.search('order', 1_000)
    expect(all).toHaveLength(400)
    for (const limit of [1, 7, 50, 399])
      expect(index.search('order', limit)).toEqual(all.slice(0, limit))
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!]
      expect(a.score > b.score || (a.score === b.score && a.at >= b.at)).toBe(true)
    }
    expect(index.search('order', 0)).toEqual([])
  })
})
