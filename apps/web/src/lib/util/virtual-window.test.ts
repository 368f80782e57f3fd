import { describe, expect, it } from 'vitest'
import { scrollToReveal, visibleWindow } from './virtual-window.ts'

describe('virtual list window', () => {
  it('renders only the rows in view plus overscan, however long the list', () => {
    const w = visibleWindow({
      scrollTop: 72 * 5000,
      viewportHeight: 720,
      rowHeight: 72,
      count: 10_000,
      overscan: 5,
    })
    expect(w.start).toBe(4995)
    expect(w.end).toBe(5015)
    expect(w.offset).toBe(4995 * 72)
    expect(w.total).toBe(720_000)
  })

  it('starts at row 0 at the top and stops at the last row at the bottom', () => {
    expect(
      visibleWindow({ scrollTop: 0, viewportHeight: 300, rowHeight: 100, count: 50, overscan: 2 }),
    ).toMatchObject({ start: 0, end: 5 })
    const bottom = visibleWindow({
      scrollTop: 99_999,
      viewportHeight: 300,
      rowHeight: 100,
      count: 50,
      overscan: 2,
    })
    expect(bottom.end).toBe(50)
    expect(bottom.start).toBe(45)
  })

  it('renders nothing for an empty list', () => {
    expect(visibleWindow({ scrollTop: 0, viewportHeight: 300, rowHeight: 72, count: 0 })).toEqual({
      start: 0,
      end: 0,
      offset: 0,
      total: 0,
    })
  })

  it('scrolls just enough to reveal a row above or below the viewport', () => {
    expect(scrollToReveal(2, 500, 300, 100)).toBe(200)
    expect(scrollToReveal(9, 500, 300, 100)).toBe(700)
    expect(scrollToReveal(6, 500, 300, 100)).toBeNull()
  })
})
