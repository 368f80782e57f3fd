import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { matchesQuery } from './inbox-view.ts'
import { QueryFilter, type FilterNames } from './query-filter.ts'

const conv = (id: string, name: string, number: string, preview: string) =>
  ({
    id,
    contactName: name,
    participants: [number],
    lastActivity: { preview },
  }) as unknown as Conversation

describe('QueryFilter', () => {
  const list = [
    conv('a', 'Ada Lovelace', '+14155550100', 'refund please'),
    conv('b', 'Bob', '+14155550111', 'Réfrigérateur en panne'),
    conv('c', 'Carol', '+33612345678', 'thanks'),
  ]

  it('gives what a whole filter gives for every query typed, narrowed or not', () => {
    const filter = new QueryFilter()
    const typed = [
      'r',
      're',
      'ref',
      'refr',
      'refri',
      '',
      '(',
      '(4',
      '(41',
      '(415',
      '(415) 5',
      'c',
      'ca',
    ]
    for (const q of typed)
      expect(filter.filter(list, q).map((c) => c.id)).toEqual(
        list.filter((c) => matchesQuery(c, q)).map((c) => c.id),
      )
  })

  it('starts again from the whole list when the list changed', () => {
    const filter = new QueryFilter()
    expect(filter.filter(list, 'car').map((c) => c.id)).toEqual(['c'])
    const more = [...list, conv('d', 'Carla', '+1', '')]
    expect(filter.filter(more, 'carl').map((c) => c.id)).toEqual(['d'])
  })

  it('gives what a whole filter gives when typing into a bigger list, letters and digits', () => {
    const names = ['Zoë Ødegaard', 'Priya Nair', 'Omar Diaz', 'Hiro Kim', '']
    const previews = ['order 154321 shipped', 'café fermé', 'call 0207 946 0018', 'Refund?', '']
    const big = Array.from({ length: 300 }, (_, i) =>
      conv(
        `r${i}`,
        names[i % names.length]!,
        `+1415${String(2_000_000 + i * 7919).slice(0, 7)}`,
        `${previews[(i * 3) % previews.length]!} ${i}`,
      ),
    )
    const filter = new QueryFilter()
    const queries = [
      '154321',
      '2054321',
      'zoe',
      'cafe f',
      'refund',
      '9460',
      '(415) 20',
      '8',
      'x',
      'o',
      'or',
      'ord',
      'order 1',
      '\u0301',
      '0\u0001+',
    ]
    for (const query of queries)
      for (let n = 1; n <= query.length; n++) {
        const q = query.slice(0, n)
        expect(filter.filter(big, q).map((c) => c.id)).toEqual(
          big.filter((c) => matchesQuery(c, q)).map((c) => c.id),
        )
      }
  })

  it('[C7] matches the team’s names for contacts, and reads the rows again after a rename', () => {
    const byNumber = new Map([['+14155550111', 'Roberta Fix']])
    const names = {
      changes: 0,
      lookup: () => (c: Conversation) => byNumber.get(c.participants[0]!) ?? null,
    } satisfies FilterNames
    const filter = new QueryFilter()
    expect(filter.filter(list, 'rob', names).map((c) => c.id)).toEqual(['b'])
    // Bob is shown as Roberta Fix now: his provider's name no longer matches.
    expect(filter.filter(list, 'bob', names).map((c) => c.id)).toEqual([])
    byNumber.set('+33612345678', 'Carol Robin')
    names.changes++
    expect(filter.filter(list, 'rob', names).map((c) => c.id)).toEqual(['b', 'c'])
    byNumber.clear()
    names.changes++
    expect(filter.filter(list, 'rob', names).map((c) => c.id)).toEqual([])
    expect(filter.filter(list, 'bob', names).map((c) => c.id)).toEqual(['b'])
  })

  it('reads a list ahead in idle slices, and a key before they are done finishes the reading', async () => {
    const idle: ((deadline: IdleDeadline) => void)[] = []
    const g = globalThis as { requestIdleCallback?: unknown }
    g.requestIdleCallback = (fn: (deadline: IdleDeadline) => void) => idle.push(fn)
    try {
      const many = Array.from({ length: 5_000 }, (_, i) =>
        conv(`m${i}`, i % 2 ? 'Ada' : 'Bob', `+1415${2_000_000 + i}`, `order ${i}`),
      )
      const filter = new QueryFilter()
      filter.prepare(many)
      // One slice with no time left reads one chunk, then asks for another.
      idle.shift()!({ timeRemaining: () => 0, didTimeout: false })
      expect(idle).toHaveLength(1)
      const want = (q: string) => many.filter((c) => matchesQuery(c, q)).map((c) => c.id)
      expect(filter.filter(many, 'ada').map((c) => c.id)).toEqual(want('ada'))
      // The idle step left over finds the list in use and stops.
      idle.shift()!({ timeRemaining: () => 10, didTimeout: false })
      expect(idle).toHaveLength(0)
      const other = many.slice(1)
      filter.prepare(other)
      while (idle.length > 0) idle.shift()!({ timeRemaining: () => 10, didTimeout: false })
      expect(filter.filter(other, '4999').map((c) => c.id)).toEqual(
        other.filter((c) => matchesQuery(c, '4999')).map((c) => c.id),
      )
    } finally {
      delete g.requestIdleCallback
    }
  })
})
