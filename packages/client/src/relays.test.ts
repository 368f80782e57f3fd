import { describe, expect, it } from 'vitest'
import { isRelayFailure, RelayList, relayUrls } from './relays.ts'

describe('the relay list', () => {
  it('`url` alone is a list of one; with `urls` it comes first; each relay once', () => {
    expect(relayUrls({ url: 'http://a:1/' })).toEqual(['http://a:1'])
    expect(relayUrls({ urls: ['http://a:1', 'http://b:2'] })).toEqual(['http://a:1', 'http://b:2'])
    expect(relayUrls({ url: 'http://b:2', urls: ['http://a:1', 'http://b:2/'] })).toEqual([
      'http://b:2',
      'http://a:1',
    ])
  })

  it('a missing or malformed relay URL is refused with its value', () => {
    expect(() => relayUrls({})).toThrow(/`url` or `urls`/)
    expect(() => relayUrls({ urls: ['relay.example.com'] })).toThrow(/"relay.example.com"/)
    expect(() => relayUrls({ urls: ['ftp://relay'] })).toThrow(/must be http\(s\)/)
  })

  it('a failure of the current relay moves to the next, wrapping round, and is told', () => {
    const list = new RelayList(['http://a', 'http://b', 'http://c'])
    const moves: string[] = []
    list.onMove((url) => moves.push(url))
    expect(list.current).toBe('http://a')
    expect(list.wsBase).toBe('ws://a/sync')
    expect(list.failed('http://a')).toBe(true)
    expect(list.failed('http://b')).toBe(true)
    expect(list.failed('http://c')).toBe(true)
    expect(list.current).toBe('http://a')
    expect(moves).toEqual(['http://b', 'http://c', 'http://a'])
  })

  it('sockets of one replica failing on the relay it already left do not move it again', () => {
    const list = new RelayList(['http://a', 'http://b', 'http://c'])
    const moves: string[] = []
    list.onMove((url) => moves.push(url))
    // Three rooms' sockets drop when relay a dies: the first moves the replica, the others do not.
    for (let i = 0; i < 3; i++) list.failed('http://a')
    expect(list.current).toBe('http://b')
    expect(moves).toEqual(['http://b'])
  })

  it('one relay: a failure changes nothing (the backoff retries it)', () => {
    const list = new RelayList(['http://a'])
    expect(list.failed('http://a')).toBe(false)
    expect(list.current).toBe('http://a')
  })

  it('remembers the relay that last answered, told once per change', () => {
    const good: string[] = []
    const list = new RelayList(['http://a', 'http://b'], (url) => good.push(url))
    list.succeeded('http://a')
    list.succeeded('http://a')
    list.failed('http://a')
    expect(list.lastGood).toBe('http://a')
    list.succeeded('http://b')
    expect(list.lastGood).toBe('http://b')
    expect(good).toEqual(['http://a', 'http://b'])
    expect(RelayList.httpBase('wss://b.example.com/sync')).toBe('https://b.example.com')
  })

  it('1001 (going away) and 1006 (dropped, refused, never opened) are relay failures; room codes are not', () => {
    expect(isRelayFailure(1001)).toBe(true)
    expect(isRelayFailure(1006)).toBe(true)
    for (const code of [1000, 1012, 4401, 4403, 4409, 4500, 4529])
      expect(isRelayFailure(code)).toBe(false)
  })
})
