import { describe, expect, it } from 'vitest'
import { gateAwareness } from './awareness-gate.ts'
import type { Peer } from './peer.ts'
import type { RawAwarenessEntry } from '@switchboard/protocol'

function peer(memberId: string, awarenessClientId: number | null = null, devices = [memberId]) {
  const p: Peer = {
    memberId,
    memberName: memberId.toUpperCase(),
    wantsAcks: false,
    awarenessClientId,
    send: () => {},
    close: () => {},
    claimDevice: (device) => devices.includes(device),
  }
  return p
}

const entry = (clientId: number, clock: number, state: unknown): RawAwarenessEntry => ({
  clientId,
  clock,
  json: new TextEncoder().encode(JSON.stringify(state)),
})

const noClocks = () => 0

describe('[L2][L5] the presence gate', () => {
  it('binds a socket to the first id it announces with a live state, stamped with its member', () => {
    const alice = peer('alice')
    const { entries, result } = gateAwareness(
      alice,
      [alice],
      noClocks,
      [entry(5, 1, null), entry(6, 1, { viewing: 'c-1', memberId: 'mallory' })],
      0,
    )
    expect(alice.awarenessClientId).toBe(6)
    expect(entries).toEqual([
      {
        clientId: 6,
        clock: 1,
        state: { viewing: 'c-1', memberId: 'alice', memberName: 'ALICE', name: 'ALICE' },
      },
    ])
    expect(result).toEqual({ dropped: 1, oversized: null, foreignDevices: 0 })
  })

  it("ignores echoes of another socket's state, and counts a newer clock for its id as a spoof", () => {
    const alice = peer('alice', 6)
    const bob = peer('bob', 9)
    const clockOf = (id: number) => (id === 9 ? 4 : 0)
    const echo = gateAwareness(alice, [alice, bob], clockOf, [entry(9, 4, { x: 1 })], 0)
    expect(echo).toEqual({
      entries: [],
      result: { dropped: 0, oversized: null, foreignDevices: 0 },
    })
    const spoof = gateAwareness(alice, [alice, bob], clockOf, [entry(9, 5, { x: 1 })], 0)
    expect(spoof).toEqual({
      entries: [],
      result: { dropped: 1, oversized: null, foreignDevices: 0 },
    })
  })

  it('applies nothing of an update whose own state is over the cap [L5]', () => {
    const alice = peer('alice', 6)
    const big = entry(6, 2, { note: 'x'.repeat(100) })
    const { entries, result } = gateAwareness(alice, [alice], noClocks, [big], 64)
    expect(entries).toEqual([])
    expect(result.oversized).toBe(big.json.byteLength)
    expect(gateAwareness(alice, [alice], noClocks, [big], 0).entries).toHaveLength(1)
  })

  it("removes a device id that is not the member's from the state [L2]", () => {
    const alice = peer('alice', 6, ['dev-a'])
    const own = gateAwareness(alice, [alice], noClocks, [entry(6, 2, { deviceId: 'dev-a' })], 0)
    expect(own.entries[0]?.state).toMatchObject({ deviceId: 'dev-a' })
    expect(own.result.foreignDevices).toBe(0)
    const foreign = gateAwareness(alice, [alice], noClocks, [entry(6, 3, { deviceId: 'dev-b' })], 0)
    expect(foreign.entries[0]?.state).not.toHaveProperty('deviceId')
    expect(foreign.result.foreignDevices).toBe(1)
  })

  it('passes a removal (null state) of its own id through', () => {
    const alice = peer('alice', 6)
    const { entries } = gateAwareness(alice, [alice], noClocks, [entry(6, 3, null)], 0)
    expect(entries).toEqual([{ clientId: 6, clock: 3, state: null }])
  })
})
