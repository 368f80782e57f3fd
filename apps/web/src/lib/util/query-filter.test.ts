import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { matchesQuery } from './inbox-view.ts'
import { QueryFilter } from './query-filter.ts'

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
})
