// Issue 24, search across the whole local replica: a word from an old message of a conversation
// opened once is found offline, after a reload without network, from another number's inbox.
import { expect, test } from '@playwright/test'
import {
  SALES,
  SUPPORT,
  deliver,
  incomingSms,
  openInbox,
  row,
  screenshot,
  teammate,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

const CONTACT = 'Grace Hopper'
const OLD = 'The zephyrine valve on unit 7 keeps sticking'

test('a word from an old message is found offline, across numbers, and the result opens the conversation', async ({
  browser,
}) => {
  const now = Date.now()
  const conversationId = 'c-e2e-search-grace'
  await deliver(
    relay,
    incomingSms({
      conversationId,
      contactName: CONTACT,
      body: OLD,
      phoneNumber: SALES,
      at: now - 60_000,
    }),
    incomingSms({
      conversationId,
      contactName: CONTACT,
      body: 'Any news on my ticket?',
      phoneNumber: SALES,
      at: now - 1000,
    }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await expect
    .poll(() =>
      page.evaluate(async () => {
        await navigator.serviceWorker.ready
        return navigator.serviceWorker.controller !== null
      }),
    )
    .toBe(true)

  // Opened once online: the conversation's messages are now held on this device.
  await openInbox(page, SALES)
  await row(page, CONTACT).click()
  const thread = page.getByRole('log', { name: `Conversation with ${CONTACT}` })
  await expect(thread).toContainText(OLD)
  await openInbox(page, SUPPORT)

  await alice.context.setOffline(true)
  const reloaded = await page.reload()
  expect(reloaded?.fromServiceWorker()).toBe(true)
  await openInbox(page, SUPPORT)

  const box = page.getByRole('searchbox', { name: 'Search conversations' })
  await box.fill('zephyr')
  const results = page.getByRole('listbox', { name: 'Search results' })
  const result = results.getByRole('option', { name: new RegExp(CONTACT) })
  await expect(result).toBeVisible()
  await expect(result).toContainText('Sales')
  await expect(result).toContainText('Message:')
  // The typed part of the word is marked.
  await expect(result.locator('mark')).toHaveText('zephyr')
  await expect(result).toContainText('zephyrine valve')
  // The list of this number's tab still filters as before: the conversation is not in Support.
  await expect(row(page, CONTACT)).toHaveCount(0)
  await screenshot(page, 'search-offline')

  // Tab from the search box reaches the results; Enter opens the highlighted one.
  await box.press('Tab')
  await expect(results).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(new RegExp(`/inbox/${SALES.id}/${conversationId}`))
  await expect(threadTitle(page, CONTACT)).toBeVisible()
  await expect(thread).toContainText(OLD)

  await alice.context.close()
})
