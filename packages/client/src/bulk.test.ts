import { grantAccess, ingestActivity, setPhoneNumber } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BULK_CHUNK } from './bulk.ts'
import { memoryStorage } from './storage/client-storage.ts'
import { createSwitchboard } from './switchboard.ts'
import type { Switchboard } from './types.ts'
import { incoming, openClient, startRelay, until } from '../test/harness.ts'
import { alice, seedReplica } from '../test/seed.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** An offline replica: pn1 holds `pn1Ids`, and pn2 (also alice's) holds `pn2Ids`; all unread. */
async function offlineReplica(pn1Ids: string[], pn2Ids: string[] = []): Promise<Switchboard> {
  const storage = memoryStorage()
  await seedReplica(storage, pn1Ids)
  if (pn2Ids.length > 0) {
    const workspace = new Y.Doc()
    setPhoneNumber(workspace, { id: 'pn2', name: 'Sales', number: '+15550002' })
    grantAccess(workspace, 'alice', 'pn2')
    const inbox = new Y.Doc()
    for (const conversationId of pn2Ids)
      ingestActivity(inbox, { ...incoming(conversationId, 'hi', 'pn2'), at: 1_700_000_000_000 })
    await storage.append('workspace', Y.encodeStateAsUpdate(workspace))
    await storage.append('inbox:pn2', Y.encodeStateAsUpdate(inbox))
  }
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

const refs = (phoneNumberId: string, conversationIds: string[]) =>
  conversationIds.map((conversationId) => ({ phoneNumberId, conversationId }))

/** The derived states of conversations, as `status` or `status+unread`. */
function states(sb: Switchboard, phoneNumberId: string, conversationIds: string[]) {
  const inbox = sb.inbox(phoneNumberId)
  return new Set(
    conversationIds.map((id) => {
      const c = inbox.get(id)
      return c ? `${c.status}${c.unread ? '+unread' : ''}` : 'missing'
    }),
  )
}

describe('bulk: one change to many conversations, one undo step', () => {
  it('[Z1] a bulk snooze puts every picked conversation away read, as one step; one undo brings them back unread', async () => {
    const all = ids(20)
    const sb = await offlineReplica(all)
    const inbox = sb.inbox('pn1')
    const until = Date.now() + 3_600_000
    const result = await sb.bulk(refs('pn1', all), { kind: 'snooze', until })
    expect(result).toEqual({ count: 20, changed: 20 })
    for (const id of all) {
      expect(inbox.get(id)?.snooze?.until).toBe(until)
      expect(inbox.get(id)?.unread).toBe(false)
    }
    expect(
      inbox
        .list({ view: 'snoozed', now: Date.now() })
        .map((c) => c.id)
        .sort(),
    ).toEqual([...all].sort())
    // The same snooze again changes nothing.
    expect(await sb.bulk(refs('pn1', all), { kind: 'snooze', until })).toEqual({
      count: 20,
      changed: 0,
    })
    expect(await sb.undo()).toBe(true)
    for (const id of all) expect(inbox.get(id)?.snooze ?? null).toBeNull()
    expect(states(sb, 'pn1', all)).toEqual(new Set(['open+unread']))
  })

  it('a bulk Done of 1,000 conversations is one Yjs update, and one undo reopens all of them', async () => {
    const all = ids(1000)
    const sb = await offlineReplica(all)
    const inbox = sb.inbox('pn1')
    await inbox.markDone('c0')
    let updates = 0
    inbox.doc.on('update', () => updates++)
    const result = await sb.bulk(refs('pn1', all), { kind: 'done' })
    // c0 already was Done: counted, but no mark written for it.
    expect(result).toEqual({ count: 1000, changed: 999 })
    expect(updates).toBe(1)
    expect(states(sb, 'pn1', all)).toEqual(new Set(['done']))
    expect(inbox.history('c0')).toHaveLength(1)

    updates = 0
    expect(await sb.undo()).toBe(true)
    expect(updates).toBe(1)
    expect(states(sb, 'pn1', all.slice(1))).toEqual(new Set(['open+unread']))
    // The next step is c0's own Done, made before the bulk one.
    expect(states(sb, 'pn1', ['c0'])).toEqual(new Set(['done']))
    expect(await sb.undo()).toBe(true)
    expect(states(sb, 'pn1', ['c0'])).toEqual(new Set(['open+unread']))
    expect(await sb.undo()).toBe(false)
  })

  it('an explicit bulk read is a step; the read that opening causes is not', async () => {
    const sb = await offlineReplica(['c1', 'c2', 'c3'])
    const inbox = sb.inbox('pn1')
    await inbox.bulk(['c1', 'c2'], { kind: 'read' })
    await inbox.markRead('c3', { implicit: true })
    expect(states(sb, 'pn1', ['c1', 'c2', 'c3'])).toEqual(new Set(['open']))
    expect(await sb.undo()).toBe(true)
    expect(states(sb, 'pn1', ['c1', 'c2'])).toEqual(new Set(['open+unread']))
    expect(states(sb, 'pn1', ['c3'])).toEqual(new Set(['open']))
    expect(await sb.undo()).toBe(false)
  })

  it('spans numbers: one transaction per inbox, one step for both', async () => {
    const sb = await offlineReplica(['a1', 'a2'], ['b1', 'b2'])
    let updates = 0
    for (const pn of ['pn1', 'pn2']) sb.inbox(pn).doc.on('update', () => updates++)
    await sb.bulk([...refs('pn1', ['a1', 'a2']), ...refs('pn2', ['b1', 'b2'])], {
      kind: 'unread',
    })
    // Already Open + Unread: nothing to write, and no step.
    expect(updates).toBe(0)
    expect(await sb.undo()).toBe(false)

    await sb.bulk([...refs('pn1', ['a1', 'a2', 'gone']), ...refs('pn2', ['b1', 'b2'])], {
      kind: 'done',
    })
    expect(updates).toBe(2)
    expect(states(sb, 'pn2', ['b1', 'b2'])).toEqual(new Set(['done']))
    expect(await sb.undo()).toBe(true)
    expect(states(sb, 'pn1', ['a1', 'a2'])).toEqual(new Set(['open+unread']))
    expect(states(sb, 'pn2', ['b1', 'b2'])).toEqual(new Set(['open+unread']))
  })

  it("an inbox's undo(id) takes one conversation out of a bulk step; undo takes the rest", async () => {
    const sb = await offlineReplica(['c1', 'c2', 'c3'])
    const inbox = sb.inbox('pn1')
    await inbox.bulk(['c1', 'c2', 'c3'], { kind: 'done' })
    expect(await inbox.undo('c2')).toBe(true)
    expect(states(sb, 'pn1', ['c2'])).toEqual(new Set(['open+unread']))
    expect(states(sb, 'pn1', ['c1', 'c3'])).toEqual(new Set(['done']))
    expect(await sb.undo()).toBe(true)
    expect(states(sb, 'pn1', ['c1', 'c3'])).toEqual(new Set(['open+unread']))
    expect(await sb.undo()).toBe(false)
  })

  it('[G1] a bulk assignment to someone who cannot answer the number writes nothing', async () => {
    const sb = await offlineReplica(['c1', 'c2'])
    const inbox = sb.inbox('pn1')
    const before = inbox.history('c1').length
    await expect(
      sb.bulk(refs('pn1', ['c1', 'c2']), { kind: 'assign', memberId: 'mallory' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(inbox.history('c1')).toHaveLength(before)
    await sb.bulk(refs('pn1', ['c1', 'c2']), { kind: 'assign', memberId: 'alice' })
    await sb.bulk(refs('pn1', ['c1']), { kind: 'pin' })
    expect(inbox.get('c2')).toMatchObject({ assignee: 'alice', pinned: false })
    expect(inbox.get('c1')).toMatchObject({ assignee: 'alice', pinned: true })
    expect(await sb.undo()).toBe(true)
    expect(await sb.undo()).toBe(true)
    expect(inbox.get('c1')).toMatchObject({ assignee: null, pinned: false })
    expect(inbox.get('c2')).toMatchObject({ assignee: null })
  })
})

describe('bulk through the relay', () => {
  it(`${BULK_CHUNK + 1} marks go in two updates under the frame cap; the relay stores them and a teammate sees every one, then the one undo`, async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.stop())
    const all = ids(BULK_CHUNK + 1, 'bulk')
    for (const id of all) await relay.ingest(incoming(id, 'hello'))
    const alicesb = await openClient(relay, 'alice@example.com')
    const bob = await openClient(relay, 'bob@example.com')
    cleanups.push(
      () => alicesb.destroy(),
      () => bob.destroy(),
    )
    const inbox = alicesb.inbox('pn1')
    await until(alicesb, () => all.every((id) => inbox.get(id) !== null))
    let updates = 0
    inbox.doc.on('update', () => updates++)

    await alicesb.bulk(refs('pn1', all), { kind: 'done' })
    expect(updates).toBe(2)
    await alicesb.whenSynced()
    expect(alicesb.pending).toBe(0)
    await until(bob, () => all.every((id) => bob.inbox('pn1').get(id)?.status === 'done'))

    await alicesb.undo()
    await alicesb.whenSynced()
    await until(bob, () => all.every((id) => bob.inbox('pn1').get(id)?.status === 'open'))
    expect(states(bob, 'pn1', all)).toEqual(new Set(['open+unread']))
  }, 60_000)
})
