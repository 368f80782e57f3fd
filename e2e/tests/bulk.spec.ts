// Issue 24: bulk selection (checkbox, Shift/Ctrl+click, x) and "Mark all read", each one undo step.
import { expect, test, type Page } from '@playwright/test'
import {
  UNREAD,
  aliceAndBob,
  conversations,
  deliver,
  incomingSms,
  relayPerFile,
  row,
  screenshot,
  showView,
  unreadBadge,
} from '../support/app.ts'

const relay = relayPerFile()

/** "Bulk 01" … "Bulk 20", newest first (above the demo's conversations). */
const names = Array.from({ length: 20 }, (_, i) => `Bulk ${String(i + 1).padStart(2, '0')}`)

function bulkBar(page: Page) {
  return page.getByRole('toolbar', { name: 'Bulk actions' })
}

function bulkRows(page: Page) {
  return conversations(page).getByRole('option', { name: /^Bulk \d\d/ })
}

function toast(page: Page, text: string) {
  return page.getByText(text, { exact: true })
}

test('20 conversations picked (checkbox, Shift+click) and marked done leave both screens; one Ctrl+Z brings all 20 back; x and Escape; a bulk assignment', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const now = Date.now()
  await deliver(
    relay,
    ...names.map((contactName, i) =>
      incomingSms({
        conversationId: `c-e2e-bulk-${i + 1}`,
        contactName,
        body: `bulk question ${i + 1}`,
        at: now - (i + 1) * 1000,
      }),
    ),
  )
  const page = alice.page
  await expect(row(page, 'Bulk 01')).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Bulk 01')).toBeVisible()

  // The checkbox picks a row without opening it; Shift+click picks the range up to Bulk 20
  // (scrolled into the list's window first).
  await row(page, 'Bulk 01').getByRole('checkbox', { name: 'Select Bulk 01' }).click()
  await expect(bulkBar(page).getByText('1 selected')).toBeVisible()
  await expect(page).toHaveURL(/\/inbox\/pn-support$/)
  await conversations(page).evaluate((el) => (el.scrollTop = 72 * 12))
  await row(page, 'Bulk 20').click({ modifiers: ['Shift'] })
  await expect(bulkBar(page).getByText('20 selected')).toBeVisible()
  // Ctrl+click toggles one row out and back in.
  await row(page, 'Bulk 20').click({ modifiers: ['Control'] })
  await expect(bulkBar(page).getByText('19 selected')).toBeVisible()
  await row(page, 'Bulk 20').click({ modifiers: ['Control'] })
  await expect(bulkBar(page).getByText('20 selected')).toBeVisible()
  await expect(row(page, 'Bulk 20').getByRole('checkbox')).toBeChecked()
  await screenshot(page, 'bulk-selected')

  await bulkBar(page).getByRole('button', { name: 'Mark as done' }).click()
  await expect(toast(page, 'Marked 20 conversations as done')).toBeVisible()
  await expect(bulkBar(page)).toHaveCount(0)
  await expect(bulkRows(page)).toHaveCount(0)
  await expect(bulkRows(bob.page)).toHaveCount(0)

  // One undo step: Ctrl+Z brings every one back, unread as before, on both screens; a second
  // Ctrl+Z has nothing left to undo.
  await page.keyboard.press('Control+z')
  await expect(toast(page, 'Undone')).toBeVisible()
  await expect(row(page, 'Bulk 12')).toHaveAccessibleName(UNREAD)
  await conversations(page).evaluate((el) => (el.scrollTop = 0))
  await expect(row(page, 'Bulk 01')).toHaveAccessibleName(UNREAD)
  await showView(bob.page, 'Done')
  await expect(bulkRows(bob.page)).toHaveCount(0)
  await showView(bob.page, 'Open')
  await expect(row(bob.page, 'Bulk 01')).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Bulk 05')).toHaveAccessibleName(UNREAD)
  await page.keyboard.press('Control+z')
  await expect(toast(page, 'Nothing to undo')).toBeVisible()
  await expect(row(page, 'Bulk 01')).toBeVisible()

  // x picks the highlighted row; Escape clears the selection.
  await conversations(page).focus()
  await page.keyboard.press('Home')
  await page.keyboard.press('x')
  await expect(bulkBar(page).getByText('1 selected')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(bulkBar(page)).toHaveCount(0)

  // Assign… lists only those who can answer the number: Carol (Support), never Dan (not Support).
  await row(page, 'Bulk 01').getByRole('checkbox').click()
  await row(page, 'Bulk 02').getByRole('checkbox').click()
  await bulkBar(page).getByRole('button', { name: 'Assign…' }).click()
  const menu = page.getByRole('menu', { name: 'Assign to' })
  await expect(menu.getByRole('menuitemradio', { name: 'Dan Okafor' })).toHaveCount(0)
  await menu.getByRole('menuitemradio', { name: 'Carol Diaz' }).click()
  await expect(toast(page, 'Assigned 2 conversations to Carol Diaz')).toBeVisible()
  await expect(row(bob.page, 'Bulk 02')).toHaveAccessibleName(/assigned to Carol Diaz/)

  await alice.context.close()
  await bob.context.close()
})

test('Mark all read reads every conversation of the view, as one undo step', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  await deliver(
    relay,
    ...['Read Me 1', 'Read Me 2', 'Read Me 3'].map((contactName, i) =>
      incomingSms({ conversationId: `c-e2e-allread-${i}`, contactName, body: 'all read' }),
    ),
  )
  const page = alice.page
  await expect(row(page, 'Read Me 3')).toHaveAccessibleName(UNREAD)
  const unreadBefore = await unreadBadge(page)
  expect(unreadBefore).toBeGreaterThanOrEqual(3)

  await page.getByRole('button', { name: 'Mark all read' }).click()
  await expect(toast(page, `Marked ${unreadBefore} conversations as read`)).toBeVisible()
  await expect(conversations(page).getByRole('option', { name: UNREAD })).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'Mark all read' })).toBeDisabled()
  await expect.poll(() => unreadBadge(bob.page)).toBe(0)
  await showView(page, 'Unread')
  await expect(conversations(page).getByRole('option')).toHaveCount(0)

  // The toast's Undo makes every one unread again.
  await page.getByRole('button', { name: 'Undo' }).click()
  await expect(conversations(page).getByRole('option', { name: 'Read Me 1' })).toBeVisible()
  await expect.poll(() => unreadBadge(page)).toBe(unreadBefore)
  await expect.poll(() => unreadBadge(bob.page)).toBe(unreadBefore)

  await alice.context.close()
  await bob.context.close()
})
