import { describe, expect, it } from 'vitest'
import { lowerBound, patchSorted } from './sorted-list.ts'

interface Row {
  id: string
  at: number
  pinned: boolean
  open: boolean
}

const compare = (a: Row, b: Row) =>
  a.pinned !== b.pinned
    ? a.pinned
      ? -1
      : 1
    : b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const keep = (r: Row) => r.open

/** mulberry32: the same cases every run. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('lowerBound', () => {
  it('finds the first position not before the item', () => {
    const nums = [1, 3, 3, 5]
    const cmp = (a: number, b: number) => a - b
    expect([0, 1, 3, 4, 6].map((n) => lowerBound(nums, n, cmp))).toEqual([0, 0, 1, 3, 4])
    expect(lowerBound([], 1, cmp)).toBe(0)
  })
})

describe('patchSorted', () => {
  it('gives the list a full filter and sort would, over random changes (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed)
      const row = (id: string): Row => ({
        id,
        at: Math.floor(rand() * 50),
        pinned: rand() < 0.1,
        open: rand() < 0.7,
      })
      const all = new Map<string, Row>()
      for (let i = 0; i < 200; i++) all.set(`c${i}`, row(`c${i}`))
      const full = () => [...all.values()].filter(keep).sort(compare)
      let list = full()
      const index = new Map(list.map((r) => [r.id, r]))
      for (let step = 0; step < 50; step++) {
        const changes: [string, Row | null][] = []
        // Mostly a few changes (a splice each), sometimes many (one merge pass), ids repeated.
        const count = rand() < 0.2 ? 40 + Math.floor(rand() * 60) : Math.floor(rand() * 4)
        for (let k = count; k >= 0; k--) {
          const id = `c${Math.floor(rand() * 230)}`
          const next = rand() < 0.1 ? null : row(id)
          if (next) all.set(id, next)
          else all.delete(id)
          changes.push([id, next])
        }
        list = patchSorted(list, index, changes, keep, compare)!
        expect(list).toEqual(full())
        expect(new Set(index.keys())).toEqual(new Set(list.map((r) => r.id)))
      }
    }
  })

  it('leaves the given list alone and returns null when the index does not match it', () => {
    const a = { id: 'a', at: 2, pinned: false, open: true }
    const b = { id: 'b', at: 1, pinned: false, open: true }
    const list = [a, b]
    const moved = patchSorted(
      list,
      new Map([
        ['a', a],
        ['b', b],
      ]),
      [['b', { ...b, at: 3 }]],
      keep,
      compare,
    )
    expect(moved?.map((r) => r.id)).toEqual(['b', 'a'])
    expect(list).toEqual([a, b])
    const stale = { ...a, at: 9 }
    expect(patchSorted(list, new Map([['a', stale]]), [['a', null]], keep, compare)).toBeNull()
    const many = Array.from({ length: 40 }, (_, i) => [`x${i}`, null] as [string, null])
    const staleIndex = new Map([['a', stale]])
    expect(patchSorted(list, staleIndex, [['a', null], ...many], keep, compare)).toBeNull()
  })
})
