import { describe, expect, it } from 'vitest'
import { extend, indexOfId, nothingPicked, pickedIn, toggle } from './selection.ts'

const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }))
const ids = (p: { ids: ReadonlySet<string> }) => [...p.ids].sort()

describe('picking rows for a bulk action', () => {
  it('toggle adds, then removes, one row and makes it the anchor', () => {
    const one = toggle(nothingPicked, 'b')
    expect(ids(one)).toEqual(['b'])
    expect(one.anchor).toBe('b')
    expect(ids(toggle(one, 'b'))).toEqual([])
    expect(nothingPicked.ids.size).toBe(0)
  })

  it('Shift extends from the anchor to the clicked row, either way, keeping what was picked', () => {
    const picked = extend(toggle(toggle(nothingPicked, 'a'), 'd'), rows, 'b')
    expect(ids(picked)).toEqual(['a', 'b', 'c', 'd'])
    expect(picked.anchor).toBe('d')
    expect(ids(extend(toggle(nothingPicked, 'b'), rows, 'e'))).toEqual(['b', 'c', 'd', 'e'])
  })

  it('without an anchor, Shift extends from the highlighted row; with neither, picks the one', () => {
    expect(ids(extend(nothingPicked, rows, 'c', 'e'))).toEqual(['c', 'd', 'e'])
    expect(ids(extend(nothingPicked, rows, 'c'))).toEqual(['c'])
    expect(ids(extend(nothingPicked, rows, 'c', 'gone'))).toEqual(['c'])
    expect(extend(nothingPicked, rows, 'gone')).toBe(nothingPicked)
  })

  it('only the picked rows still in the list are acted on, in its order', () => {
    const picked = toggle(toggle(toggle(nothingPicked, 'd'), 'gone'), 'a')
    expect(pickedIn(picked, rows).map((r) => r.id)).toEqual(['a', 'd'])
  })
})

describe('indexOfId', () => {
  it('finds a row by id, -1 when absent or none', () => {
    expect(indexOfId(rows, 'c')).toBe(2)
    expect(indexOfId(rows, 'gone')).toBe(-1)
    expect(indexOfId(rows, null)).toBe(-1)
  })
})
