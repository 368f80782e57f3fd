import { describe, expect, it } from 'vitest'
import { PendingLedger } from './ledger.ts'

describe('pending ledger', () => {
  it('counts local transactions until an ack covers their end clock', () => {
    const ledger = new PendingLedger('laptop')
    ledger.recordLocal('inbox:pn1', 7, 3)
    ledger.recordLocal('inbox:pn1', 7, 6)
    ledger.recordLocal('inbox:pn2', 9, 2)
    expect(ledger.pending).toBe(3)
    expect(ledger.ack('inbox:pn1', 7, 2)).toBe(false)
    expect(ledger.ack('inbox:pn1', 7, 3)).toBe(true)
    expect(ledger.pending).toBe(2)
    expect(ledger.ack('inbox:pn2', 7, 100)).toBe(false) // another room's client 7: not ours
    expect(ledger.ack('inbox:pn1', 7, 6)).toBe(true)
    expect(ledger.ack('inbox:pn2', 9, 2)).toBe(true)
    expect(ledger.pending).toBe(0)
    expect(ledger.rooms()).toEqual(new Set())
  })

  it('survives a restart through its own records, clock included', () => {
    const before = new PendingLedger('laptop')
    before.recordLocal('inbox:pn1', 7, 3)
    before.savedHlc = '000001700000000.000000.laptop'
    const after = new PendingLedger('laptop')
    after.load([before.record()])
    expect(after.pending).toBe(1)
    expect(after.clientsIn('inbox:pn1')).toEqual([7])
    expect(after.savedHlc).toBe('000001700000000.000000.laptop')
  })

  it('counts the unacknowledged changes of other tabs sharing the replica, newest record each', () => {
    const tab1 = new PendingLedger('tab1')
    const tab2 = new PendingLedger('tab2')
    tab1.recordLocal('inbox:pn1', 1, 1)
    const old2 = tab2.record()
    tab2.recordLocal('inbox:pn1', 2, 1)
    tab2.recordLocal('inbox:pn1', 2, 2)
    const fresh = new PendingLedger('tab3')
    fresh.load([tab1.record(), old2, tab2.record()])
    expect(fresh.pending).toBe(3)
    // A compaction by tab1 keeps tab2's newest record, not tab1's older copy of it.
    const compacted = tab1.compacted([old2, tab2.record()])
    const reloaded = new PendingLedger('tab4')
    reloaded.load([compacted])
    expect(reloaded.pending).toBe(3)
  })

  it('an implicit transaction is awaited (unacked, its room) but not counted, across a restart', () => {
    const ledger = new PendingLedger('laptop')
    ledger.implicitly(() => ledger.recordLocal('inbox:pn1', 7, 1))
    ledger.recordLocal('inbox:pn1', 7, 2)
    expect(ledger.pending).toBe(1)
    expect(ledger.unacked).toBe(2)
    const after = new PendingLedger('laptop')
    after.load([ledger.record()])
    expect([after.pending, after.unacked]).toEqual([1, 2])
    expect(after.ack('inbox:pn1', 7, 1)).toBe(true) // the implicit one: still a change to hear
    expect([after.pending, after.unacked]).toEqual([1, 1])
    expect(after.rooms()).toEqual(new Set(['inbox:pn1']))
    after.ack('inbox:pn1', 7, 2)
    expect([after.pending, after.unacked]).toEqual([0, 0])
    expect(after.rooms()).toEqual(new Set())
  })
})
