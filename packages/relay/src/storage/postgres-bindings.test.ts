/**
 * [M8] on PostgreSQL with several relays: a client or device id is bound on the relay's cache's
 * word, and another relay may have bound it to another member first. An update admitted on the
 * losing binding must never be stored — a member racing a teammate for an id gains nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createTestDatabase } from '../testing/postgres.ts'
import { createPostgresStorage, type PostgresStorage } from './postgres.ts'
import { isConflict } from './storage-error.ts'

const update = (text: string) => {
  const doc = new Y.Doc()
  doc.getMap('m').set('k', text)
  return Y.encodeStateAsUpdate(doc)
}

describe('[M8] bindings lost to another relay keep the updates that relied on them out of the log', () => {
  const open: PostgresStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
  })
  const relays = async () => {
    const url = await createTestDatabase()
    const a = await createPostgresStorage({ url, relayId: 'a' })
    const b = await createPostgresStorage({ url, relayId: 'b' })
    open.push(a, b)
    return [a, b] as const
  }

  it('a device id bound on two relays at once: one owner; the other relay’s room refuses its next append', async () => {
    const [a, b] = await relays()
    await a.loadRoom('inbox:pn-a')
    await b.loadRoom('inbox:pn-b')
    // Neither cache knows of the other's binding.
    expect(a.bindDevice('shared-laptop', 'alice')).toBe(true)
    expect(b.bindDevice('shared-laptop', 'carol')).toBe(true)
    const [ra, rb] = await Promise.allSettled([
      a.appendUpdate('inbox:pn-a', update('alice')),
      b.appendUpdate('inbox:pn-b', update('carol')),
    ])
    const owner = a.getDeviceOwner('shared-laptop')
    expect(b.getDeviceOwner('shared-laptop')).toBe(owner)
    const loser =
      owner === 'alice'
        ? { result: rb, store: b, room: 'inbox:pn-b' }
        : { result: ra, store: a, room: 'inbox:pn-a' }
    const winner = owner === 'alice' ? ra : rb
    expect(winner.status).toBe('fulfilled')
    expect(loser.result.status).toBe('rejected')
    expect(isConflict((loser.result as PromiseRejectedResult).reason)).toBe(true)
    expect((await loser.store.loadRoom(loser.room)).updates).toHaveLength(0)
    // Reloaded, the room stores again (its updates are admitted against the corrected cache).
    await loser.store.appendUpdate(loser.room, update('after reload'))
    expect((await loser.store.loadRoom(loser.room)).updates).toHaveLength(1)
  })

  it('a client id of a room bound on two relays at once: the relay that lost it stores nothing it admitted', async () => {
    const [a, b] = await relays()
    await a.loadRoom('inbox:pn-a')
    await b.loadRoom('inbox:pn-a') // b now holds the room's fence
    expect(a.bindClient('inbox:pn-a', 7, 'alice')).toBe(true)
    expect(b.bindClient('inbox:pn-a', 7, 'carol')).toBe(true)
    await Promise.all([a.whenDurable(), b.whenDurable()])
    const stored = b.getClientOwner('inbox:pn-a', 7)
    const appended = await b.appendUpdate('inbox:pn-a', update('carol')).then(
      () => 'stored',
      (error: unknown) => (isConflict(error) ? 'refused' : error),
    )
    expect(appended).toBe(stored === 'carol' ? 'stored' : 'refused')
  })
})
