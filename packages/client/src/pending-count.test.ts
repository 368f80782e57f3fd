/**
 * The pending count counts what the user did: the read that opening a conversation causes is
 * pushed and awaited like any change, but never shown as one of "N changes not yet synced".
 */
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import { indexeddbStorage } from './storage/indexeddb.ts'
import { incoming, openClient, startRelay, until, type TestRelay } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relay(): Promise<TestRelay> {
  const r = await startRelay()
  cleanups.push(() => r.stop())
  for (const id of ['c1', 'c2', 'c3']) await r.ingest(incoming(id, `hello from ${id}`))
  return r
}

describe('pending count', () => {
  it('an implicit read is not counted; two explicit actions are 2; all of them reach the relay', async () => {
    const r = await relay()
    const alice = await openClient(r, 'alice@example.com')
    const bob = await openClient(r, 'bob@example.com')
    cleanups.push(
      () => alice.destroy(),
      () => bob.destroy(),
    )
    await until(alice, () => alice.inbox('pn1').list('all').length === 3)
    await alice.whenSynced()
    alice.disconnect()

    const inbox = alice.inbox('pn1')
    await inbox.mark('c1', 'read', { implicit: true })
    expect(inbox.get('c1')?.unread).toBe(false)
    expect(alice.pending).toBe(0)
    await inbox.markDone('c2')
    await inbox.pin('c3')
    expect(alice.pending).toBe(2)
    // Implicit is no undo step either: undo takes back the pin, then the Done, never the read.
    expect(await alice.undo()).toBe(true)
    expect(inbox.get('c3')?.pinned).toBe(false)
    expect(alice.pending).toBe(3)

    alice.connect()
    await alice.whenSynced()
    expect(alice.pending).toBe(0)
    // whenSynced waited for the read too: Bob's replica gets it.
    await until(bob, () => bob.inbox('pn1').get('c1')?.unread === false)
    expect(bob.inbox('pn1').get('c2')?.status).toBe('done')
  })

  it('a replica restarted offline still leaves the implicit read out, and pushes it on connect', async () => {
    const r = await relay()
    const factory = new IDBFactory()
    const first = await openClient(r, 'alice@example.com', {
      storage: indexeddbStorage({ indexedDB: factory }),
    })
    await until(first, () => first.inbox('pn1').list('all').length === 3)
    await first.whenSynced()
    first.disconnect()
    await first.inbox('pn1').markRead('c1', { implicit: true })
    await first.inbox('pn1').markDone('c2')
    await first.inbox('pn1').markDone('c3')
    expect(first.pending).toBe(2)
    await first.destroy()

    const again = await openClient(r, 'alice@example.com', {
      storage: indexeddbStorage({ indexedDB: factory }),
      connect: false,
    })
    cleanups.push(() => again.destroy())
    expect(again.pending).toBe(2)
    expect(again.inbox('pn1').get('c1')?.unread).toBe(false)
    again.connect()
    await again.whenSynced()
    expect(again.pending).toBe(0)

    const bob = await openClient(r, 'bob@example.com')
    cleanups.push(() => bob.destroy())
    await until(bob, () => bob.inbox('pn1').get('c1')?.unread === false)
    expect(bob.inbox('pn1').get('c3')?.status).toBe('done')
  })
})
