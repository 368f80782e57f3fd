import 'fake-indexeddb/auto'
import type { Conversation } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import { CACHED_ROWS, snapshotView, ViewCache, viewKey } from './view-cache.ts'

function conversation(i: number): Conversation {
  return {
    id: `c-${i}`,
    phoneNumberId: 'pn1',
    participants: ['+14155550142'],
    contactName: `Contact ${i}`,
    status: 'open',
    unread: i % 2 === 0,
    pinned: false,
    assignee: null,
    lastActivity: { id: `a-${i}`, direction: 'incoming', kind: 'message', preview: 'hi', at: i },
    decidedBy: null,
    statusBy: null,
    reopenedBy: null,
    createdAt: i,
    snooze: null,
  }
}

describe('snapshotView', () => {
  it('keeps the first rows and the length of the list', () => {
    const items = Array.from({ length: 1000 }, (_, i) => conversation(i))
    const view = snapshotView(items)
    expect(view.total).toBe(1000)
    expect(view.rows).toEqual(items.slice(0, CACHED_ROWS))
    expect(snapshotView(items.slice(0, 3))).toEqual({ rows: items.slice(0, 3), total: 3 })
  })
})

describe('ViewCache', () => {
  it('reads back what was written, per phone number and tab, after reopening', async () => {
    const name = 'switchboard:alice:views-test-1'
    const first = new ViewCache(name)
    expect((await first.readAll()).size).toBe(0)
    const open = snapshotView([conversation(1), conversation(2)])
    const done = snapshotView([conversation(3)])
    await first.write(
      new Map([
        [viewKey('pn1', 'open'), open],
        [viewKey('pn1', 'done'), done],
      ]),
    )
    await first.write(new Map([[viewKey('pn1', 'open'), snapshotView([conversation(2)])]]))
    await first.close()

    const views = await new ViewCache(name).readAll()
    expect(views.get(viewKey('pn1', 'open'))).toEqual(snapshotView([conversation(2)]))
    expect(views.get(viewKey('pn1', 'done'))).toEqual(done)
    expect(views.get(viewKey('pn2', 'open'))).toBeUndefined()
  })

  it('never blocks a deletion of the database while it is open', async () => {
    const name = 'switchboard:alice:views-test-2'
    const cache = new ViewCache(name)
    await cache.write(new Map([[viewKey('pn1', 'open'), snapshotView([conversation(1)])]]))
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name)
      req.onsuccess = () => resolve()
      req.onerror = () => reject(req.error)
      req.onblocked = () => reject(new Error('blocked'))
    })
    expect((await new ViewCache(name).readAll()).size).toBe(0)
  })
})
