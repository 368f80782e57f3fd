import { afterEach, describe, expect, it, vi } from 'vitest'
import { ingestActivity, snoozeState } from '@switchboard/core'
import { memoryStorage } from './storage/client-storage.ts'
import { createSwitchboard } from './switchboard.ts'
import type { Switchboard } from './types.ts'
import { createWakeTimer } from './wake-timer.ts'
import { alice, seedReplica } from '../test/seed.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function offlineReplica(ids: string[]): Promise<Switchboard> {
  const storage = memoryStorage()
  await seedReplica(storage, ids)
  const sb = createSwitchboard({
    url: 'http://127.0.0.1:9',
    token: 'unused',
    member: alice,
    storage,
    deviceId: 'laptop',
    connect: false,
  })
  cleanups.push(() => sb.destroy())
  await sb.whenLoaded
  return sb
}

const inboxIds = (sb: Switchboard, now: number) =>
  sb
    .inbox('pn1')
    .list({ view: 'inbox', now })
    .map((c) => c.id)

describe('[Z1] snooze through the client', () => {
  it('[Z1][Z5] snooze(id, time) hides it from the inbox fed with now, reads it, and wakes at its time', async () => {
    const sb = await offlineReplica(['c1', 'c2'])
    const inbox = sb.inbox('pn1')
    const now = Date.now()
    await inbox.snooze('c1', now + 60_000)
    expect(inboxIds(sb, now)).toEqual(expect.not.arrayContaining(['c1']))
    expect(inbox.list({ view: 'snoozed', now }).map((c) => c.id)).toEqual(['c1'])
    expect(inbox.get('c1')!.unread).toBe(false)
    expect(inbox.nextWake(now)).toBe(now + 60_000)
    expect(inboxIds(sb, now + 60_000)).toContain('c1')
    expect(snoozeState(inbox.get('c1')!, now + 60_000).woke).toBe('time')
  })

  it('[Z1] unsnooze and undo bring it back as it was', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    const now = Date.now()
    await inbox.snooze('c1', 'reply')
    expect(inboxIds(sb, now)).toEqual([])
    await inbox.unsnooze('c1')
    expect(inboxIds(sb, now)).toEqual(['c1'])
    await inbox.snooze('c1', 'reply')
    expect(await inbox.undo('c1')).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ snooze: null, unread: false, status: 'open' })
    // Undo of a Done made while snoozed puts the snooze back.
    await inbox.snooze('c1', now + 60_000)
    await inbox.markDone('c1')
    expect(inbox.get('c1')!.snooze).toBeNull()
    expect(await inbox.undo('c1')).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ status: 'open', snooze: { until: now + 60_000 } })
  })

  it('[Z4] undo never puts back a snooze an unseen SMS had woken: it would hide what woke it', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    await inbox.snooze('c1', 'reply')
    // The relay's ingest, as a synced replica would receive it.
    ingestActivity(inbox.doc, {
      id: 'sms-2',
      conversationId: 'c1',
      phoneNumberId: 'pn1',
      direction: 'incoming',
      kind: 'message',
      from: '+15550100',
      to: 'pn1',
      body: 'any news?',
      at: Date.now(),
    })
    expect(inbox.get('c1')!.snooze!.wokenBy).toBe('sms-2')
    await inbox.snooze('c1', 'reply')
    expect(await inbox.undo('c1')).toBe(true)
    expect(inboxIds(sb, Date.now())).toEqual(['c1'])
    expect(inbox.get('c1')).toMatchObject({ unread: true, snooze: null })
  })

  it('[Z5] onWake fires when a snooze of a few ms wakes, and the inbox lists it again', async () => {
    const sb = await offlineReplica(['c1'])
    const inbox = sb.inbox('pn1')
    const woke: number[] = []
    const off = inbox.onWake((now) => woke.push(now))
    cleanups.push(off)
    const until = Date.now() + 40
    await inbox.snooze('c1', until)
    expect(inboxIds(sb, Date.now())).toEqual([])
    await new Promise((r) => setTimeout(r, 150))
    expect(woke.length).toBe(1)
    expect(woke[0]).toBeGreaterThanOrEqual(until)
    expect(inboxIds(sb, woke[0]!)).toEqual(['c1'])
  })

  it('[Z5] the wake timer waits for the next wake time, then looks again; stop ends it', () => {
    vi.useFakeTimers({ now: 1000 })
    try {
      let next: number | null = 1010
      const woke: number[] = []
      const timer = createWakeTimer({
        nextWake: (t) => (next !== null && next > t ? next : null),
        onWake: (t) => woke.push(t),
      })
      expect(timer.due).toBe(1010)
      vi.advanceTimersByTime(9)
      expect(woke).toEqual([])
      vi.advanceTimersByTime(10)
      expect(woke).toEqual([1015])
      expect(timer.due).toBeNull()
      next = 5000
      timer.reschedule()
      expect(timer.due).toBe(5000)
      timer.stop()
      vi.advanceTimersByTime(10_000)
      expect(woke).toEqual([1015])
    } finally {
      vi.useRealTimers()
    }
  })
})
