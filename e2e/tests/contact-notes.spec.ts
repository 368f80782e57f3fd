// Issue 24, contacts [C1][C6][C7]: two teammates type in one contact's notes at once and both keep
// their text; it is saved as typed (a reload keeps it); a renamed contact shows on the
// teammate's screen, in the contact panel and wherever the conversation is named.
import { expect, test, type Page } from '@playwright/test'
import {
  actions,
  aliceAndBob,
  conversations,
  deliver,
  incomingSms,
  relayPerFile,
  row,
  threadTitle,
  NAMES,
} from '../support/app.ts'

const relay = relayPerFile()
const panel = (page: Page) => page.getByRole('complementary', { name: 'Contact' })
const notes = (page: Page) => panel(page).getByLabel('Notes')

test('two teammates typing in one contact note at once both keep their text; the name edit shows on the teammate’s screen', async ({
  browser,
}) => {
  const contact = 'Grace Hopper'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-notes-1', contactName: contact, body: 'Any news?' }),
  )
  const { alice, bob } = await aliceAndBob(browser, relay)
  for (const page of [alice.page, bob.page]) {
    await row(page, contact).click()
    await expect(threadTitle(page, contact)).toBeVisible()
  }

  await notes(alice.page).click()
  await notes(alice.page).pressSequentially('Customer since 2020.')
  await expect(notes(bob.page)).toHaveValue('Customer since 2020.')

  // Bob's caret at the start, Alice's at the end; each sees the other editing.
  await notes(bob.page).click()
  await bob.page.keyboard.press('Control+Home')
  await expect(panel(alice.page).getByText(`${NAMES.bob} is editing`)).toBeVisible()
  await notes(alice.page).click()
  await alice.page.keyboard.press('Control+End')
  await expect(panel(bob.page).getByText(`${NAMES.alice} is editing`)).toBeVisible()

  // Both type at once, keystroke by keystroke.
  await Promise.all([
    alice.page.keyboard.type(' Alice: VIP.', { delay: 40 }),
    bob.page.keyboard.type('Bob: refund sent. ', { delay: 40 }),
  ])
  const both = 'Bob: refund sent. Customer since 2020. Alice: VIP.'
  await expect(notes(alice.page)).toHaveValue(both)
  await expect(notes(bob.page)).toHaveValue(both)

  // Saved as typed, without leaving the field: a reload shows it.
  await alice.page.reload()
  await row(alice.page, contact).click()
  await expect(notes(alice.page)).toHaveValue(both)
  await expect(panel(alice.page).getByText(`${NAMES.bob} is editing`)).toBeVisible()

  // Bob names the contact; Alice's panel shows the name.
  await panel(bob.page).getByLabel('Contact name').fill('Grace B. Hopper')
  await panel(bob.page).getByLabel('Contact name').press('Enter')
  await expect(panel(alice.page).getByRole('heading', { name: 'Grace B. Hopper' })).toBeVisible()
  await expect(panel(alice.page).getByLabel('Contact name')).toHaveValue('Grace B. Hopper')
})

test('[C7] Alice renames a contact: Bob’s list row, thread header, search and toast name it live; cleared, the provider’s name is back', async ({
  browser,
}) => {
  const provided = 'Mary Jackson'
  const renamed = 'Mary Winston Jackson'
  const other = 'Annie Easley'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-name-1', contactName: provided, body: 'Wind tunnel?' }),
    incomingSms({ conversationId: 'c-e2e-name-2', contactName: other, body: 'Rocket fuel' }),
  )
  const { alice, bob } = await aliceAndBob(browser, relay)
  for (const page of [alice.page, bob.page]) {
    await row(page, provided).click()
    await expect(threadTitle(page, provided)).toBeVisible()
  }

  await panel(alice.page).getByLabel('Contact name').fill(renamed)
  await panel(alice.page).getByLabel('Contact name').press('Enter')

  // Bob did nothing: his row and open thread follow the rename; the other row keeps its name.
  await expect(row(bob.page, renamed)).toBeVisible()
  await expect(row(bob.page, provided)).toHaveCount(0)
  await expect(threadTitle(bob.page, renamed)).toBeVisible()
  await expect(row(bob.page, other)).toBeVisible()
  await expect(row(alice.page, renamed)).toBeVisible()

  // A word only the new name holds finds it: the list's filter and the search results.
  const box = bob.page.getByRole('searchbox', { name: 'Search conversations' })
  await box.fill('winston')
  await expect(conversations(bob.page).getByRole('option')).toHaveCount(1)
  await expect(row(bob.page, renamed)).toBeVisible()
  const result = bob.page
    .getByRole('listbox', { name: 'Search results' })
    .getByRole('option', { name: new RegExp(renamed) })
  await expect(result).toBeVisible()
  await expect(result.locator('mark').first()).toHaveText('Winston')
  await box.fill('')

  // The toast names it by the new name.
  await actions(bob.page).getByRole('button', { name: 'Mark as done' }).click()
  await expect(bob.page.getByText(`Marked ${renamed} as done`, { exact: true })).toBeVisible()

  // Cleared: the provider's name again, on both screens.
  await panel(alice.page).getByLabel('Contact name').fill('')
  await panel(alice.page).getByLabel('Contact name').press('Enter')
  await expect(threadTitle(bob.page, provided)).toBeVisible()
  await expect(threadTitle(alice.page, provided)).toBeVisible()
})
