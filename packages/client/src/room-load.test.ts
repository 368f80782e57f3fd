import { afterEach, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { createSwitchboard } from './node.ts'
import { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
import { incoming, login, openClient, startRelay, until } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A doc's 'update' listeners: Yjs encodes every transaction once more for them. */
function updateListeners(doc: Y.Doc): number {
  return doc._observers.get('update')?.size ?? 0
}

/** A relay holding one incoming message per id, and alice's laptop replica synced from it. */
async function syncedLaptop(...ids: string[]) {
  const relay = await startRelay()
  cleanups.push(() => relay.stop())
  for (const id of ids) await relay.ingest(incoming(id, `hello from ${id}`))
  const storage = memoryStorage()
  const first = await openClient(relay, 'alice@example.com', { storage, deviceId: 'laptop' })
  await first.whenSynced()
  return { relay, storage, first }
}

it('a room loads from storage with no update listener on its doc; handles hear of the load once, then of each update, which is stored', async () => {
  const { relay, storage, first } = await syncedLaptop('c-load-1', 'c-load-2')
  await first.inbox('pn1').markDone('c-load-1')
  await first.whenSynced()
  await first.destroy()

  const session = await login(relay.url, 'alice@example.com')
  const open = () =>
    createSwitchboard({ url: relay.url, ...session, storage, deviceId: 'laptop', connect: false })
  const sb = open()
  // Subscribed before the room is read from storage, as the web app does.
  const inbox = sb.inbox('pn1')
  let heard = 0
  inbox.onUpdate(() => heard++)
  const listenersDuringLoad: number[] = []
  inbox.doc.on('afterTransaction', () => listenersDuringLoad.push(updateListeners(inbox.doc)))
  await inbox.whenLoaded
  expect(listenersDuringLoad).toEqual([0])
  expect(heard).toBe(1)
  expect(inbox.get('c-load-1')?.status).toBe('done')
  expect(inbox.list('inbox').map((c) => c.id)).toEqual(['c-load-2'])

  await inbox.markOpen('c-load-1')
  expect(heard).toBeGreaterThan(1)
  await sb.destroy()

  const reopened = open()
  cleanups.push(() => reopened.destroy())
  await reopened.whenLoaded
  expect(reopened.inbox('pn1').get('c-load-1')?.status).toBe('open')
})

it('a phone number says its unread count is not known yet until its inbox is loaded, never "0 unread"', async () => {
  const { relay, storage, first } = await syncedLaptop('c-badge-1', 'c-badge-2')
  await first.destroy()

  // A big inbox loads long after the workspace: hold its read until the workspace is read.
  let release = () => {}
  const held = new Promise<void>((r) => (release = r))
  const slowInbox: ClientStorage = {
    ...storage,
    load: async (room) => {
      if (room.startsWith('inbox:')) await held
      return storage.load(room)
    },
  }
  const session = await login(relay.url, 'alice@example.com')
  const sb = createSwitchboard({
    url: relay.url,
    ...session,
    storage: slowInbox,
    deviceId: 'laptop',
    connect: false,
  })
  cleanups.push(() => sb.destroy())
  // The sidebar shows the workspace's phone numbers as soon as it is read (before whenLoaded).
  await until(sb, () => sb.phoneNumbers().some((p) => p.id === 'pn1'))
  const inbox = sb.inbox('pn1')
  expect(sb.phoneNumbers().find((p) => p.id === 'pn1')).toMatchObject({ loaded: false })
  expect(inbox.loaded).toBe(false)
  release()
  await inbox.whenLoaded
  expect(inbox.loaded).toBe(true)
  expect(sb.phoneNumbers().find((p) => p.id === 'pn1')).toMatchObject({ loaded: true, unread: 2 })
})
