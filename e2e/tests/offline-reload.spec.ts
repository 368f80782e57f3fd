// Scenario 4 (issue 6): marks made offline survive a reload without network (service worker +
// IndexedDB), are counted as not yet synced, and reach a teammate once back online.
import { expect, test } from '@playwright/test'
import {
  connection,
  deliver,
  incomingSms,
  markDoneByKeyboard,
  openInbox,
  row,
  screenshot,
  showView,
  teammate,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

const contacts = ['Mary Jackson', 'Dorothy Vaughan', 'Annie Easley']

test('offline, three marks survive a reload without network, then sync: "3 changes not yet synced" → 0, and a teammate sees them', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  const page = alice.page
  await openInbox(page)
  await openInbox(bob.page)
  // The service worker has cached the app shell and controls the page.
  await expect
    .poll(() =>
      page.evaluate(async () => {
        await navigator.serviceWorker.ready
        return navigator.serviceWorker.controller !== null
      }),
    )
    .toBe(true)

  await deliver(
    relay,
    ...contacts.map((contactName, i) =>
      incomingSms({ conversationId: `c-e2e-reload-${i}`, contactName, body: `Question ${i}` }),
    ),
  )
  for (const contact of contacts) {
    await expect(row(page, contact)).toBeVisible()
    await expect(row(bob.page, contact)).toBeVisible()
  }
  await expect(connection(page)).toContainText('All changes synced')

  await alice.context.setOffline(true)
  await expect(connection(page)).toContainText('Offline')
  for (const contact of contacts) await markDoneByKeyboard(page, contact)
  await expect(connection(page)).toContainText('3 changes not yet synced')

  // Without network, the page can only come from the service worker's cached shell.
  const reloaded = await page.reload()
  expect(reloaded?.fromServiceWorker()).toBe(true)
  await expect(page.getByRole('navigation', { name: 'Phone numbers' })).toBeVisible()
  await expect(connection(page)).toContainText('Offline')
  await expect(connection(page)).toContainText('3 changes not yet synced')
  for (const contact of contacts) await expect(row(page, contact)).toHaveCount(0)
  await showView(page, 'Done')
  for (const contact of contacts) await expect(row(page, contact)).toBeVisible()
  await screenshot(page, 'alice-reloaded-offline')
  // Bob never heard of them.
  for (const contact of contacts) await expect(row(bob.page, contact)).toBeVisible()

  await alice.context.setOffline(false)
  await expect(connection(page)).toContainText('Online')
  await expect(connection(page)).toContainText('All changes synced')
  for (const contact of contacts) await expect(row(bob.page, contact)).toHaveCount(0)
  await showView(bob.page, 'Done')
  for (const contact of contacts) await expect(row(bob.page, contact)).toBeVisible()
  await screenshot(bob.page, 'bob-sees-synced-marks')

  await alice.context.close()
  await bob.context.close()
})
