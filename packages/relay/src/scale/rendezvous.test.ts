import { describe, expect, it } from 'vitest'
import { rendezvousOwner } from './rendezvous.ts'

const rooms = Array.from({ length: 3000 }, (_, i) => `inbox:pn${i}`)

describe('rendezvous hashing of rooms over relays', () => {
  it('every relay computes the same owner whatever the order of the list', () => {
    for (const room of rooms.slice(0, 200))
      expect(rendezvousOwner(room, ['a', 'b', 'c'])).toBe(rendezvousOwner(room, ['c', 'a', 'b']))
  })

  it('spreads rooms over the relays', () => {
    const counts = new Map<string, number>()
    for (const room of rooms) {
      const owner = rendezvousOwner(room, ['a', 'b', 'c'])
      counts.set(owner, (counts.get(owner) ?? 0) + 1)
    }
    for (const id of ['a', 'b', 'c']) expect(counts.get(id)).toBeGreaterThan(800)
  })

  it('when a relay leaves only its rooms move; when it comes back only they return', () => {
    const before = rooms.map((r) => rendezvousOwner(r, ['a', 'b', 'c']))
    const after = rooms.map((r) => rendezvousOwner(r, ['a', 'c']))
    rooms.forEach((_, i) => {
      if (before[i] !== 'b') expect(after[i]).toBe(before[i])
      else expect(after[i]).not.toBe('b')
    })
    expect(rooms.map((r) => rendezvousOwner(r, ['a', 'b', 'c']))).toEqual(before)
  })

  it('refuses to choose from nobody', () => {
    expect(() => rendezvousOwner('inbox:x', [])).toThrow('no relay to choose from')
  })
})
