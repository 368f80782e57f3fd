import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Expiries } from './expiries.ts'

describe("[§4 auth] sockets' token expiries", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shares one timer per expiry second and closes each socket of it then', () => {
    const expired: string[] = []
    const expiries = new Expiries<string>(Date.now, (s) => expired.push(s))
    const exp = 1_000 + 60
    for (const s of ['a', 'b', 'c']) expiries.add(s, exp)
    expiries.add('d', exp + 1)
    expect(expiries.seconds).toBe(2)
    expiries.delete('b', exp)
    vi.advanceTimersByTime(59_999)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['a', 'c'])
    // A socket closed as its token expires disarms nothing else.
    expiries.delete('a', exp)
    vi.advanceTimersByTime(1_000)
    expect(expired).toEqual(['a', 'c', 'd'])
    expect(expiries.seconds).toBe(0)
  })

  it("drops a second's timer with its last socket, and a token already expired closes at once", () => {
    const expired: string[] = []
    const expiries = new Expiries<string>(Date.now, (s) => expired.push(s))
    expiries.add('a', 2_000)
    expiries.delete('a', 2_000)
    expect(expiries.seconds).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    expiries.add('b', 999)
    vi.advanceTimersByTime(0)
    expect(expired).toEqual(['b'])
  })
})
