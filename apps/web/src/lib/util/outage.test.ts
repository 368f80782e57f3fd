import { describe, expect, it } from 'vitest'
import { connectionLabel, Outage, outageMessage, outageOf } from './outage.ts'

describe('outageOf', () => {
  it('tells offline (no network) from an unreachable relay from a session that is over', () => {
    const base = { browserOnline: true, errorCode: null }
    expect(outageOf({ ...base, browserOnline: false, status: 'online' })).toBe(Outage.Offline)
    expect(outageOf({ ...base, status: 'offline' })).toBe(Outage.Unreachable)
    expect(outageOf({ ...base, status: 'offline', errorCode: 'session-ended' })).toBe(
      Outage.SignedOut,
    )
    expect(outageOf({ ...base, status: 'offline', errorCode: 'unauthorized' })).toBe(
      Outage.SignedOut,
    )
    // No network wins: signing in again could not help until it is back.
    expect(outageOf({ browserOnline: false, status: 'offline', errorCode: 'unauthorized' })).toBe(
      Outage.Offline,
    )
  })

  it('is nothing while online or still connecting, whatever error was recorded before', () => {
    expect(outageOf({ browserOnline: true, status: 'online', errorCode: null })).toBeNull()
    expect(outageOf({ browserOnline: true, status: 'connecting', errorCode: null })).toBeNull()
    expect(
      outageOf({ browserOnline: true, status: 'online', errorCode: 'unauthorized' }),
    ).toBeNull()
    expect(outageOf({ browserOnline: true, status: 'offline', errorCode: 'rejected' })).toBe(
      Outage.Unreachable,
    )
  })
})

describe('words', () => {
  it('each outage says what still works, and the connection line keeps its words', () => {
    expect(outageMessage(Outage.Offline)).toContain('kept on this device')
    expect(outageMessage(Outage.Unreachable)).toContain('retrying')
    expect(outageMessage(Outage.SignedOut)).toBeNull()
    expect(connectionLabel(Outage.Offline, 'offline', 0)).toBe('Offline')
    expect(connectionLabel(Outage.Unreachable, 'offline', 2)).toBe('Server unreachable')
    expect(connectionLabel(null, 'online', 1)).toBe('Syncing')
    expect(connectionLabel(null, 'online', 0)).toBe('Online')
    expect(connectionLabel(null, 'connecting', 0)).toBe('Connecting')
  })
})
