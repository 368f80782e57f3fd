// Issue 10 (docs/bounded-documents.md §5): a device reuses its Yjs client id across page loads
// under a lock. Two tabs of one browser (one IndexedDB, one member) must never write with the
// same id at the same time — that corrupts a room for good — and an id a closed tab released
// must be reused by a later page load, or the room gains a writer id per load. The ids are read
// off each tab's WebSockets (the updates it sends, the relay's state vector it receives).
import { expect, test, type Page } from '@playwright/test'
import {
  connection,
  deliver,
  incomingSms,
  markDoneByKeyboard,
  openInbox,
  relayPerFile,
  row,
  showView,
  signIn,
  SUPPORT,
  teammate,
} from '../support/app.ts'
import { YjsWire } from '../support/yjs-wire.ts'

const relay = relayPerFile()

const INBOX = `inbox:${SUPPORT.id}`
const contacts = [
  'Hedy Lamarr',
  'Radia Perlman',
  'Frances Allen',
  'Barbara Liskov',
  'Shafi Goldwasser',
  'Adele Goldberg',
]

/** Marks a conversation done and waits until the relay has acknowledged it. */
async function markDone(page: Page, contact: string) {
  await markDoneByKeyboard(page, contact)
  await expect(connection(page)).toContainText('All changes synced')
}

/** The single id a page load wrote the Support inbox with. */
function onlyWriter(wire: YjsWire, label: string): number {
  const ids = [...wire.writers(label, INBOX)]
  expect(ids, `${label} writes ${INBOX} with one client id`).toHaveLength(1)
  return ids[0]!
}

/** Loads that were open at the same time wrote no room with a common client id. */
function expectNoSharedWriter(wire: YjsWire, a: string, b: string) {
  for (const [room, ids] of wire.allWriters(a)) {
    const shared = [...wire.writers(b, room)].filter((id) => ids.has(id))
    expect(shared, `${a} and ${b}, open together, both wrote ${room} as`).toEqual([])
  }
}

async function openTab(page: Page) {
  await page.goto('/')
  await expect(page.getByRole('navigation', { name: 'Phone numbers' })).toBeVisible()
  await openInbox(page)
}

test('two tabs of one browser never write with the same client id at once; a closed tab’s id is reused by the next page load, and Bob gets every mark', async ({
  browser,
}) => {
  const bob = await teammate(browser, relay, 'bob@example.com')
  await openInbox(bob.page)

  const wire = new YjsWire()
  const context = await browser.newContext({ baseURL: relay.url })
  const tab1 = await context.newPage()
  wire.watch(tab1, 'tab 1')
  await signIn(tab1, 'alice@example.com')
  await openInbox(tab1)

  await deliver(
    relay,
    ...contacts.map((contactName, i) =>
      incomingSms({ conversationId: `c-e2e-tabs-${i}`, contactName, body: `Hello ${i}` }),
    ),
  )
  for (const contact of contacts) {
    await expect(row(tab1, contact)).toBeVisible()
    await expect(row(bob.page, contact)).toBeVisible()
  }

  await markDone(tab1, contacts[0]!)

  // A second tab, same profile and member, opens alongside the first. Both write before either
  // sees the other's write: with one client id between them they write the same (id, clock)
  // with different contents, the relay keeps one, and the other mark is lost without an error
  // (seen with the Web Lock bypassed: Bob never got tab 2's mark). Written in turns instead,
  // Yjs itself moves the later writer to a random id once it sees its id in the other's update.
  const tab2 = await context.newPage()
  wire.watch(tab2, 'tab 2')
  await openTab(tab2)
  await context.setOffline(true)
  await expect(connection(tab1)).toContainText('Offline')
  await expect(connection(tab2)).toContainText('Offline')
  await markDoneByKeyboard(tab2, contacts[1]!)
  await markDoneByKeyboard(tab1, contacts[2]!)
  await expect(connection(tab1)).toContainText('not yet synced')
  await expect(connection(tab2)).toContainText('not yet synced')
  await context.setOffline(false)
  for (const tab of [tab1, tab2]) await expect(connection(tab)).toContainText('All changes synced')
  await markDone(tab2, contacts[3]!)

  const first = onlyWriter(wire, 'tab 1')
  const second = onlyWriter(wire, 'tab 2')
  expect(second).not.toBe(first)
  expectNoSharedWriter(wire, 'tab 1', 'tab 2')

  // Tab 2 closes; a third tab opens while tab 1 is still open: it takes the released id.
  await tab2.close()
  const tab3 = await context.newPage()
  wire.watch(tab3, 'tab 3')
  await openTab(tab3)
  await expect.poll(() => wire.relayState('tab 3', INBOX)).toBeDefined()
  const roomBefore = wire.relayState('tab 3', INBOX)!
  expect(roomBefore.has(first) && roomBefore.has(second), 'the relay holds both tabs’ writes').toBe(
    true,
  )
  await markDone(tab3, contacts[4]!)
  expect(onlyWriter(wire, 'tab 3'), 'tab 3 reuses the id tab 2 released').toBe(second)
  expectNoSharedWriter(wire, 'tab 1', 'tab 3')

  // Tab 1 reloads (tab 3 still open): the new page load writes with tab 1's id again.
  wire.relabel(tab1, 'tab 1 reloaded')
  await tab1.reload()
  await expect(row(tab1, contacts[5]!)).toBeVisible()
  await markDone(tab1, contacts[5]!)
  expect(onlyWriter(wire, 'tab 1 reloaded'), 'a reload reuses the tab’s id').toBe(first)
  expectNoSharedWriter(wire, 'tab 1 reloaded', 'tab 3')

  // Bob sees every mark; after a reload the relay's room still holds exactly the same writer
  // ids as before the two later page loads wrote (each only advanced its own clock).
  await showView(bob.page, 'Done')
  for (const contact of contacts) await expect(row(bob.page, contact)).toBeVisible()
  wire.watch(bob.page, 'bob reloaded')
  await bob.page.reload()
  await expect.poll(() => wire.relayState('bob reloaded', INBOX)).toBeDefined()
  const roomAfter = wire.relayState('bob reloaded', INBOX)!
  expect([...roomAfter.keys()].sort()).toEqual([...roomBefore.keys()].sort())
  expect(roomAfter.get(first)!).toBeGreaterThan(roomBefore.get(first)!)
  expect(roomAfter.get(second)!).toBeGreaterThan(roomBefore.get(second)!)

  // Nothing was corrupted: every replica agrees all six are done, and stays online.
  for (const page of [bob.page, tab1, tab3]) {
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('')
    await showView(page, 'Done')
    for (const contact of contacts) await expect(row(page, contact)).toBeVisible()
    await showView(page, 'Open')
    for (const contact of contacts) await expect(row(page, contact)).toHaveCount(0)
    await expect(connection(page)).toContainText('All changes synced')
  }

  await context.close()
  await bob.context.close()
})
