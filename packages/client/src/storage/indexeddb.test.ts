import 'fake-indexeddb/auto'
import { IndexeddbPersistence } from 'y-indexeddb'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
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
