import 'fake-indexeddb/auto'
import { IndexeddbPersistence } from 'y-indexeddb'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createSwitchboard } from '../switchboard.ts'
import { alice, seedReplica } from '../../test/seed.ts'
import { indexeddbStorage } from './indexeddb.ts'

describe('indexeddbStorage and y-indexeddb', () => {
  it('reads what y-indexeddb wrote under the same database name, and y-indexeddb reads it back', async () => {
    const written = new Y.Doc()
    const persistence = new IndexeddbPersistence('switchboard:inbox:pn1', written)
    await persistence.whenSynced
    written.getMap('marks').set('c1\u001fstatus\u001flaptop', { kind: 'done' })
    await persistence.destroy()

    const storage = indexeddbStorage()
    const loaded = new Y.Doc()
    for (const update of await storage.load('inbox:pn1')) Y.applyUpdate(loaded, update)
    expect(loaded.getMap('marks').toJSON()).toEqual({
      'c1\u001fstatus\u001flaptop': { kind: 'done' },
    })

    const more = new Y.Doc()
    Y.applyUpdate(more, Y.encodeStateAsUpdate(loaded))
    more.getMap('marks').set('c2\u001fstatus\u001flaptop', { kind: 'open' })
    await storage.append('inbox:pn1', Y.encodeStateAsUpdate(more))
    await storage.close()

    const reread = new Y.Doc()
    const again = new IndexeddbPersistence('switchboard:inbox:pn1', reread)
    await again.whenSynced
    expect(Object.keys(reread.getMap('marks').toJSON()).sort()).toEqual([
      'c1\u001fstatus\u001flaptop',
      'c2\u001fstatus\u001flaptop',
    ])
    await again.destroy()
  })
})

describe('indexeddbStorage shared by tabs', () => {
  it('a compaction keeps the records another tab appended after this one loaded', async () => {
    const tab1 = indexeddbStorage({ prefix: 'tabs-a:' })
    const tab2 = indexeddbStorage({ prefix: 'tabs-a:' })
    const bytes = (n: number) => new Uint8Array([n])
    await tab1.append('inbox:pn1', bytes(1))
    expect(await tab1.load('inbox:pn1')).toEqual([bytes(1)])
    await tab2.append('inbox:pn1', bytes(2))
    await tab1.append('inbox:pn1', bytes(3))
    // Tab 1's snapshot covers what it loaded and appended (1, 3), never tab 2's record.
    await tab1.compact('inbox:pn1', bytes(13))
    expect(await tab2.load('inbox:pn1')).toEqual([bytes(2), bytes(13)])
    // Having loaded everything, tab 2's compaction replaces everything.
    await tab2.compact('inbox:pn1', bytes(213))
    expect(await tab1.load('inbox:pn1')).toEqual([bytes(213)])
    await tab1.close()
    await tab2.close()
  })

  it('an offline mark made in one tab survives a compaction by the other tab and a reload', async () => {
    const prefix = 'tabs-b:'
    const seed = indexeddbStorage({ prefix })
    await seedReplica(seed, ['c1', 'c2'])
    await seed.close()

    const tab = (deviceId: string) =>
      createSwitchboard({
        url: 'http://127.0.0.1:9',
        token: 'unused',
        member: alice,
        storage: indexeddbStorage({ prefix }),
        deviceId,
        connect: false,
      })
    const tab1 = tab('tab-1')
    const tab2 = tab('tab-2')
    await tab1.whenLoaded
    await tab2.whenLoaded
    await tab1.inbox('pn1').whenLoaded
    await tab2.inbox('pn1').whenLoaded

    await tab2.inbox('pn1').markDone('c1')
    // Enough writes in tab 1 (each one a stored record) to make it compact the room.
    for (let i = 0; i < 150; i++) {
      await tab1.inbox('pn1').markDone('c2')
      await tab1.inbox('pn1').markOpen('c2')
    }
    await tab2.destroy()

    const reloaded = tab('tab-2')
    await reloaded.whenLoaded
    await reloaded.inbox('pn1').whenLoaded
    expect(reloaded.inbox('pn1').get('c1')).toMatchObject({ status: 'done' })
    await reloaded.destroy()
    await tab1.destroy()
  })
})
