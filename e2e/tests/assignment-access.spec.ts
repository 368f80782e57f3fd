// Issue 23: assignment respects access (SPEC [G1], [G4]) — the picker offers only members with
// access to the conversation's number; All inboxes, Unassigned and the teammate filter list the
// right conversations; a teammate who loses access leaves work that "needs a new owner".
import { expect, test, type Page } from '@playwright/test'
import {
  FRONT_DESK,
  SALES,
  SUPPORT,
  actions,
  conversations,
  deliver,
  incomingSms,
  login,
  openInbox,
  phoneNumberLink,
  row,
  screenshot,
  teammate,
  threadHeader,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

/** Opens the Assign menu of the opened conversation and returns it. */
async function openAssignMenu(page: Page) {
  await actions(page).getByRole('button', { name: 'Assign' }).click()
  const menu = page.getByRole('menu', { name: 'Assign to' })
  await expect(menu).toBeVisible()
  return menu
}

async function showTab(page: Page, name: string) {
  const tab = page.getByRole('tablist', { name: 'Views' }).getByRole('tab', { name, exact: true })
  await tab.click()
  await expect(tab).toHaveAttribute('aria-selected', 'true')
}

test('the assign picker lists only members with access to the conversation’s number', async ({
  browser,
}) => {
  const support = 'Grace Support-Picker'
  const desk = 'Hiro Desk-Picker'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-assign-1', contactName: support, body: 'Hi support' }),
    incomingSms({
      conversationId: 'c-e2e-assign-2',
      contactName: desk,
      body: 'Hi front desk',
      phoneNumber: FRONT_DESK,
    }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')

  // Support is shared with Alice, Bob and Carol: Erin (Front Desk only) is not offered.
  await openInbox(alice.page, SUPPORT)
  await row(alice.page, support).click()
  await expect(threadTitle(alice.page, support)).toBeVisible()
  let menu = await openAssignMenu(alice.page)
  await expect(menu.getByRole('menuitemradio', { name: 'Carol Diaz' })).toBeVisible()
  await expect(menu.getByRole('menuitemradio', { name: 'Bob Nguyen' })).toBeVisible()
  await expect(menu.getByRole('menuitemradio', { name: 'Erin Walsh' })).toHaveCount(0)
  await expect(menu.getByRole('menuitemradio', { name: 'Dan Okafor' })).toHaveCount(0)
  await screenshot(alice.page, 'picker-support')
  await alice.page.keyboard.press('Escape')
  await expect(menu).toHaveCount(0)

  // Front Desk is Erin's: she is offered there.
  await openInbox(alice.page, FRONT_DESK)
  await row(alice.page, desk).click()
  await expect(threadTitle(alice.page, desk)).toBeVisible()
  menu = await openAssignMenu(alice.page)
  await expect(menu.getByRole('menuitemradio', { name: 'Erin Walsh' })).toBeVisible()
  await expect(menu.getByRole('menuitemradio', { name: 'Carol Diaz' })).toHaveCount(0)
  await alice.page.keyboard.press('Escape')
  await alice.context.close()
})

test('All inboxes lists every visible number; Unassigned and the teammate filter follow an assignment; revoked access needs a new owner', async ({
  browser,
}) => {
  const names = {
    support: 'Ines Support-All',
    sales: 'Kwame Sales-All',
    desk: 'Yuki Desk-All',
  }
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-all-1', contactName: names.support, body: 'one' }),
    incomingSms({
      conversationId: 'c-e2e-all-2',
      contactName: names.sales,
      body: 'two',
      phoneNumber: SALES,
    }),
    incomingSms({
      conversationId: 'c-e2e-all-3',
      contactName: names.desk,
      body: 'three',
      phoneNumber: FRONT_DESK,
    }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  const allInboxes = page
    .getByRole('navigation', { name: 'Inboxes' })
    .getByRole('link', { name: 'All inboxes', exact: true })
  await allInboxes.click()
  await expect(page.getByRole('heading', { level: 1, name: 'All inboxes' })).toBeVisible()
  // Each number's new conversation is listed, with the number it belongs to.
  for (const [name, pn] of [
    [names.support, SUPPORT],
    [names.sales, SALES],
    [names.desk, FRONT_DESK],
  ] as const) {
    await expect(row(page, name)).toBeVisible()
    await expect(row(page, name)).toHaveAttribute('data-phone-number', pn.id)
    await expect(row(page, name)).toContainText(pn.name)
  }
  // The per-number badges stay in the sidebar.
  for (const pn of [SUPPORT, SALES, FRONT_DESK])
    await expect(phoneNumberLink(page, pn)).toHaveAttribute('aria-label', /, \d+ unread$/)
  // Keyboard: the list moves with J and opens with Enter, as in one number's inbox.
  await conversations(page).focus()
  await page.keyboard.press('j')
  await page.keyboard.press('k')
  await screenshot(page, 'all-inboxes')

  // Unassigned lists all three; assigning the Front Desk one to Erin takes it out.
  await showTab(page, 'Unassigned')
  for (const name of Object.values(names)) await expect(row(page, name)).toBeVisible()
  await row(page, names.desk).click()
  await expect(threadTitle(page, names.desk)).toBeVisible()
  const menu = await openAssignMenu(page)
  await menu.getByRole('menuitemradio', { name: 'Erin Walsh' }).click()
  await expect(row(page, names.desk)).toHaveCount(0)
  await expect(row(page, names.support)).toBeVisible()

  // The teammate filter lists it under Erin, and nothing else of ours.
  const filter = page.getByRole('combobox', { name: 'Assigned to teammate' })
  await filter.selectOption({ label: 'Erin Walsh' })
  await expect(row(page, names.desk)).toBeVisible()
  await expect(row(page, names.support)).toHaveCount(0)
  await expect(row(page, names.sales)).toHaveCount(0)
  await screenshot(page, 'teammate-filter')

  // Erin loses Front Desk: her assignment needs a new owner and is back under Unassigned.
  const token = await login(relay, 'alice@example.com')
  const res = await fetch(`${relay.url}/api/admin/access`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ memberId: 'erin', phoneNumberId: FRONT_DESK.id }),
  })
  expect(res.status).toBe(200)
  await expect(threadHeader(page).getByText('Needs a new owner')).toBeVisible()
  await showTab(page, 'Unassigned')
  await expect(row(page, names.desk)).toBeVisible()
  await expect(row(page, names.desk)).toContainText('Needs a new owner')
  await screenshot(page, 'needs-new-owner')
  await alice.context.close()
})
