// Issue 9: the Team page shows the figures of the seeded demo history, and follows new activity
// and marks live (a response is a reply or a Done; reading is not responding).
import { expect, test, type Page } from '@playwright/test'
import {
  actions,
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

/** A number from the page's summary table ("Team figures for the selected range"). */
async function figure(page: Page, name: string): Promise<number> {
  const table = page.getByRole('table', { name: 'Team figures for the selected range' })
  const text = await table
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name, exact: true }) })
    .getByRole('cell')
    .textContent()
  return Number((text ?? '').replace(/[^\d]/g, ''))
}

async function openTeamPage(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Team figures' }).click()
  await expect(page.getByRole('heading', { name: 'Team figures', level: 1 })).toBeVisible()
}

test('the Team page shows the seeded history, with charts, tables and the response definition', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  await openInbox(alice.page)
  await openTeamPage(alice.page)
  const page = alice.page
  await page.getByRole('button', { name: '30 days' }).click()
  await expect.poll(() => figure(page, 'Incoming activities')).toBeGreaterThan(100)
  expect(await figure(page, 'Conversations with incoming activity')).toBeGreaterThan(10)
  expect(await figure(page, 'Waits answered')).toBeGreaterThan(10)
  expect(await figure(page, 'Conversations completed in all')).toBeGreaterThan(10)
  await expect(page.getByTestId('completion-rate')).toHaveText(/^\d+ %$/)
  await expect(page.getByText('Reading is not responding.')).toBeVisible()
  for (const chart of [
    'Line chart of open and unread conversations',
    'Bar chart of incoming activity by hour of day',
    'Bar chart of incoming activity by day of week',
  ])
    await expect(page.getByRole('img', { name: new RegExp(chart) })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Weekly review' })).toBeVisible()
  await screenshot(page, 'team-figures')
})

test('a new SMS is a wait; marking it read is not a response, marking it Done is', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await openInbox(page)
  await openTeamPage(page)
  await page.getByRole('button', { name: 'Today' }).click()
  await page.getByRole('combobox', { name: 'Phone number' }).selectOption('pn-support')
  const before = {
    incoming: await figure(page, 'Incoming activities'),
    waiting: await figure(page, 'Waits still without a response'),
    answered: await figure(page, 'Waits answered'),
    completed: await figure(page, 'Conversations completed in all'),
  }

  const contact = 'Grace Hopper'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-team-1', contactName: contact, body: 'Hi there' }),
  )
  await expect.poll(() => figure(page, 'Incoming activities')).toBe(before.incoming + 1)
  expect(await figure(page, 'Waits still without a response')).toBe(before.waiting + 1)

  // Viewing marks it read: still waiting.
  await page.goBack()
  await row(page, contact).click()
  await expect(threadTitle(page, contact)).toBeVisible()
  await openTeamPage(page)
  await page.getByRole('button', { name: 'Today' }).click()
  await page.getByRole('combobox', { name: 'Phone number' }).selectOption('pn-support')
  await expect.poll(() => figure(page, 'Waits still without a response')).toBe(before.waiting + 1)

  await page.goBack()
  await row(page, contact).click()
  await actions(page).getByRole('button', { name: 'Mark as done' }).click()
  await openTeamPage(page)
  await page.getByRole('button', { name: 'Today' }).click()
  await page.getByRole('combobox', { name: 'Phone number' }).selectOption('pn-support')
  await expect.poll(() => figure(page, 'Waits answered')).toBe(before.answered + 1)
  expect(await figure(page, 'Waits still without a response')).toBe(before.waiting)
  expect(await figure(page, 'Conversations completed in all')).toBe(before.completed + 1)
})
