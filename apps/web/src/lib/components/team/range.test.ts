import { describe, expect, it } from 'vitest'
import { formatRate, formatWait, rangeFor, startOfDay } from './range.ts'

const now = new Date(2025, 5, 18, 15, 30).getTime()
const DAY = 86_400_000

describe('Team page range picker', () => {
  it("today, 7 and 30 days start at a local midnight: the viewer's days, not 24-hour steps", () => {
    expect(rangeFor('today', now)).toEqual({ from: new Date(2025, 5, 18).getTime(), to: now })
    expect(rangeFor('7d', now)).toEqual({ from: new Date(2025, 5, 12).getTime(), to: now })
    expect(rangeFor('30d', now)).toEqual({ from: new Date(2025, 4, 20).getTime(), to: now })
  })

  it('custom covers whole local days, first to last inclusive, and stops at now', () => {
    expect(rangeFor('custom', now, { first: '2025-06-02', last: '2025-06-03' })).toEqual({
      from: new Date(2025, 5, 2).getTime(),
      to: new Date(2025, 5, 4).getTime(),
    })
    expect(rangeFor('custom', now, { first: '2025-06-10', last: '2025-06-18' }).to).toBe(now)
    expect(rangeFor('custom', now, { first: 'x', last: '' }).from).toBe(startOfDay(now - 7 * DAY))
  })

  it('formats waits and rates for people', () => {
    expect(formatWait(null)).toBe('—')
    expect(formatWait(12 * 60_000)).toBe('12 min')
    expect(formatWait(185 * 60_000)).toBe('3 h 05 min')
    expect(formatRate(2 / 3)).toBe('67 %')
    expect(formatRate(null)).toBe('—')
  })
})
