/**
 * Assignment respects access on the client (packages/core/SPEC.md [G1], [G3], [G4]) against a
 * real relay: the local refusal, the offline assignment that became invalid (dropped with a
 * notice through [R1]–[R2], never re-sent), undo, and "needs a new owner".
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Switchboard, SyncNotice } from './types.ts'
import {
  incoming,
  openClient,
  startRelay,
  tempDir,
  until,
  type TestRelay,
} from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayWith(...ids: string[]): Promise<TestRelay> {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  for (const id of ids) await relay.ingest(incoming(id, `hello from ${id}`))
  return relay
}

async function open(relay: TestRelay, email: string, dir?: string): Promise<Switchboard> {
  const sb = await openClient(relay, email, dir ? { dir, deviceId: 'carol-laptop' } : {})
  cleanups.push(() => sb.destroy())
  return sb
}

describe('[G1][G3] assigning on the client', () => {
  it('[G1] only members with access are offered, and assigning another is refused locally', async () => {
    const relay = await relayWith('c1')
    await relay.admin!.revoke('bob', 'pn1')
    const sb = await open(relay, 'carol@example.com')
    await until(sb, () => !!sb.inbox('pn1').get('c1'))
    await sb.whenSynced()
    const inbox = sb.inbox('pn1')
    expect(inbox.assignableMembers().map((m) => m.id)).toEqual(['alice', 'carol'])
    await expect(inbox.assign('c1', 'bob')).rejects.toMatchObject({
      code: 'forbidden',
      message: 'Bob Nguyen has no access to Support (+15550001)',
    })
    expect(sb.pending).toBe(0)
    await inbox.assign('c1', 'alice')
    expect(inbox.get('c1')!.assignee).toBe('alice')
  })

  it('[G3] an assignment made offline whose assignee lost access is dropped with a notice; the rest reaches the relay', async () => {
    const relay = await relayWith('c1', 'c2')
    const dir = tempDir()
    cleanups.push(() => dir.remove())
    const sb = await open(relay, 'carol@example.com', dir.dir)
    await until(sb, () => !!sb.inbox('pn1').get('c2'))
    await sb.whenSynced()

    sb.disconnect()
    await sb.inbox('pn1').assign('c1', 'bob')
    await sb.inbox('pn1').markDone('c2')
    // Meanwhile an admin takes Support away from Bob.
    await relay.admin!.revoke('bob', 'pn1')

    const notices: SyncNotice[] = []
    sb.onNotice((n) => notices.push(n))
    sb.connect()
    await until(sb, () => notices.length > 0)
    await sb.whenSynced()
    expect(notices).toHaveLength(1)
    const [notice] = notices
    expect(notice).toMatchObject({ kind: 'refused', room: 'inbox:pn1', code: 4422 })
    expect(notice!.reason).toBe('not-assignable: Bob Nguyen has no access to Support (+15550001)')
    expect(notice!.dropped).toEqual([
      expect.objectContaining({ root: 'marks', conversationId: 'c1', why: 'not-assignable' }),
    ])
    expect(notice!.message).toMatch(/Removed from this device: 1 change \(assign to bob on c1\)/)
    expect(sb.pending).toBe(0)
    expect(sb.error).toBeNull()
    expect(sb.inbox('pn1').get('c1')!.assignee).toBeNull()

    // The valid change went through, the refused one is never sent again.
    const alice = await open(relay, 'alice@example.com')
    await until(alice, () => alice.inbox('pn1').get('c2')?.status === 'done')
    expect(alice.inbox('pn1').get('c1')!.assignee).toBeNull()
    await sb.inbox('pn1').markDone('c1')
    await sb.whenSynced()
    await until(alice, () => alice.inbox('pn1').get('c1')?.status === 'done')
    expect(notices).toHaveLength(1)
  })

  it('[G3] undo does not restore an assignee who lost access; [G4] their assignment needs a new owner', async () => {
    const relay = await relayWith('c1')
    const sb = await open(relay, 'carol@example.com')
    await until(sb, () => !!sb.inbox('pn1').get('c1'))
    await sb.whenSynced()
    const inbox = sb.inbox('pn1')
    await inbox.assign('c1', 'bob')
    await sb.whenSynced()
    expect(inbox.needsNewOwner(inbox.get('c1')!)).toBe(false)

    await relay.admin!.revoke('bob', 'pn1')
    await until(sb, () => inbox.assignableMembers().every((m) => m.id !== 'bob'))
    expect(inbox.needsNewOwner(inbox.get('c1')!)).toBe(true)

    await inbox.assign('c1', 'alice')
    expect(inbox.needsNewOwner(inbox.get('c1')!)).toBe(false)
    expect(await inbox.undo('c1')).toBe(true)
    expect(inbox.get('c1')!.assignee).toBeNull()
    await sb.whenSynced()
    expect(sb.notices).toEqual([])
  })
})
