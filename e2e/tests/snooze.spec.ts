// Issue 24 item 3: snooze as a merge-contract feature [Z1–Z5], in real time (the browser's clock
// is not faked: marks stamped in the future would be refused by the relay as clock drift).
import { expect, test, type Page } from '@playwright/test'
import {
  actions,
  aliceAndBob,
  conversations,
  deliver,
  incomingSms,
  row,
  screenshot,
  showView,
  threadHeader,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

async function showTab(page: Page, name: 'Open' | 'Snoozed'): Promise<void> {
  if (name === 'Open') return showView(page, name)
  const tab = page.getByRole('tablist', { name: 'Views' }).getByRole('tab', { name, exact: true })
  await tab.click()
  await expect(tab).toHaveAttribute('aria-selected', 'true')
}

function toast(page: Page, text: string) {
  return page.getByText(text)
}

test('[Z5] a snooze a few seconds ahead, chosen as a custom time, hides the conversation and wakes by itself: back in Open, “Snooze ended”', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const contact = 'Grace Hopper'
  await deliver(
    relay,
    incomingSms({
      conversationId: 'c-e2e-snooze-1',
      contactName: contact,
      body: 'Call me back after lunch',
    }),
  )
  const page = alice.page
  await row(page, contact).click()
  await expect(threadTitle(page, contact)).toBeVisible()

  await actions(page).getByRole('button', { name: 'Snooze' }).click()
  const menu = page.getByRole('menu', { name: 'Snooze until' })
  await expect(menu.getByRole('menuitem', { name: /Tomorrow/ })).toBeVisible()
  // Six seconds on, in the page's own time zone, as a person would type it.
  const wake = await page.evaluate(() => {
    const d = new Date(Date.now() + 6_000)
    const p = (n: number) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  })
  await menu.getByLabel('Custom time').fill(wake)
  await menu.getByRole('button', { name: 'Snooze until then' }).click()
  await expect(toast(page, `Snoozed ${contact}`)).toBeVisible()

  // Away on both screens, listed under Snoozed with its wake time.
  for (const p of [page, bob.page]) await expect(row(p, contact)).toHaveCount(0)
  await showTab(bob.page, 'Snoozed')
  await expect(row(bob.page, contact)).toContainText('Snoozed until')
  await expect(threadHeader(page)).toContainText('Snoozed until')

  // It wakes by itself: back in Open, saying why, on both screens; gone from Snoozed.
  await expect(row(page, contact)).toBeVisible({ timeout: 15_000 })
  await expect(row(page, contact)).toContainText('Snooze ended')
  await expect(threadHeader(page)).toContainText('Snooze ended')
  await expect(row(bob.page, contact)).toHaveCount(0)
  await showTab(bob.page, 'Open')
  await expect(row(bob.page, contact)).toContainText('Snooze ended')
  await screenshot(page, 'snooze-ended')
  await alice.context.close()
  await bob.context.close()
})

test('[Z4] Bob snoozes until they reply (H); the customer’s new SMS wakes it on Alice’s screen: back in Open, unread, “Woken by new SMS”; Undo of a snooze', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const contact = 'Ada Lovelace'
  const conversationId = 'c-e2e-snooze-2'
  await deliver(
    relay,
    incomingSms({ conversationId, contactName: contact, body: 'I will check and get back to you' }),
  )
  await row(bob.page, contact).click()
  await expect(threadTitle(bob.page, contact)).toBeVisible()
  await conversations(bob.page).focus()
  await bob.page.keyboard.press('h')
  const menu = bob.page.getByRole('menu', { name: 'Snooze until' })
  await menu.getByRole('menuitem', { name: 'Until they reply' }).click()
  await expect(toast(bob.page, `Snoozed ${contact} · Until they reply`)).toBeVisible()

  await expect(row(alice.page, contact)).toHaveCount(0)
  await showTab(alice.page, 'Snoozed')
  await expect(row(alice.page, contact)).toContainText('Snoozed until they reply')

  await deliver(
    relay,
    incomingSms({ conversationId, contactName: contact, body: 'Here is the order number' }),
  )
  await expect(row(alice.page, contact)).toHaveCount(0)
  await showTab(alice.page, 'Open')
  await expect(row(alice.page, contact)).toContainText('Woken by new SMS')
  await expect(row(alice.page, contact)).toHaveAccessibleName(/, unread\b/)
  await expect(row(bob.page, contact)).toContainText('Woken by new SMS')
  await screenshot(alice.page, 'woken-by-sms')

  // A snooze is one undo step: the toast's Undo brings the conversation back at once.
  await bob.page.getByRole('button', { name: 'Snooze' }).click()
  await menu.getByRole('menuitem', { name: 'Until they reply' }).click()
  await expect(row(bob.page, contact)).toHaveCount(0)
  await bob.page.getByRole('button', { name: 'Undo' }).click()
  await expect(row(bob.page, contact)).toBeVisible()
  await expect(row(alice.page, contact)).toBeVisible()
  await alice.context.close()
  await bob.context.close()
})
