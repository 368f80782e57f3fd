// Issue 23: Settings → Phone numbers. An owner adds a Twilio number (a malformed one first),
// gives a teammate access, renames it and removes it; the teammate's sidebar follows live.
import { expect, test, type Page } from '@playwright/test'
import { phoneNumberLink, relayPerFile, screenshot, teammate } from '../support/app.ts'

const relay = relayPerFile()

const BILLING = { id: '', name: 'Billing', number: '+14155550177' }

function settings(page: Page) {
  return page.getByRole('region', { name: 'Phone numbers' })
}

function numberCard(page: Page, name: string) {
  return settings(page).getByRole('article', { name: new RegExp(`^${name} `) })
}

test('an owner adds, shares, renames and removes a number; a teammate’s sidebar follows live', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const carol = await teammate(browser, relay, 'carol@example.com')
  await alice.page.goto('/settings')
  await expect(alice.page.getByRole('heading', { name: 'Phone numbers' })).toBeVisible()
  await expect(numberCard(alice.page, 'Support')).toBeVisible()

  // Add: a malformed number is refused with the relay's words, then a Twilio number is added.
  await settings(alice.page).getByRole('button', { name: 'Add number' }).click()
  const form = alice.page.getByRole('form', { name: 'Add number' })
  await form.getByLabel('Name').fill(BILLING.name)
  await form.getByLabel('Number (E.164)').fill('555-0100')
  await form.getByLabel('Provider').selectOption('twilio')
  await form.getByLabel('Twilio Account SID').fill('AC' + '0123456789abcdef'.repeat(2))
  await form.getByLabel('Twilio Auth token').fill('a-test-auth-token')
  await form.getByRole('button', { name: 'Add this number' }).click()
  await expect(form.getByRole('alert')).toContainText('E.164')
  await expect(form.getByLabel('Number (E.164)')).toHaveAttribute('aria-invalid', 'true')
  await form.getByLabel('Number (E.164)').fill('+1 415 555 0177')
  await form.getByRole('button', { name: 'Add this number' }).click()
  const added = settings(alice.page).getByRole('status').filter({ hasText: 'Added Billing' })
  await expect(added).toBeVisible()
  await expect(added.getByRole('textbox')).toHaveValue(
    new RegExp(`^${relay.url}/api/webhooks/twilio/pn-`),
  )
  const billing = numberCard(alice.page, 'Billing')
  await expect(billing).toContainText('+1 415 555 0177')
  await expect(billing).toContainText('Twilio')
  await screenshot(alice.page, 'settings-phone-numbers')

  // Access: Carol gets Billing, and it appears in her sidebar without a reload.
  await expect(phoneNumberLink(carol.page, BILLING)).toHaveCount(0)
  const access = billing.getByRole('group', { name: 'Who has access to Billing' })
  await access.getByRole('checkbox', { name: /Carol Diaz/ }).check()
  await expect(phoneNumberLink(carol.page, BILLING)).toBeVisible()

  // Rename inline: live in Carol's sidebar.
  await billing.getByRole('button', { name: 'Rename' }).click()
  await billing.getByLabel(`Name of ${BILLING.number}`).fill('Billing desk')
  await billing.getByRole('button', { name: 'Save name' }).click()
  const renamed = { ...BILLING, name: 'Billing desk' }
  await expect(phoneNumberLink(carol.page, renamed)).toBeVisible()
  const desk = numberCard(alice.page, 'Billing desk')
  await expect(desk).toBeVisible()

  // An admin may not remove a number: Bob has no Remove button.
  const bob = await teammate(browser, relay, 'bob@example.com')
  await bob.page.goto('/settings')
  await expect(numberCard(bob.page, 'Billing desk')).toBeVisible()
  await expect(
    numberCard(bob.page, 'Billing desk').getByRole('button', { name: 'Remove' }),
  ).toHaveCount(0)

  // Remove: the owner types the number to confirm; it leaves Carol's sidebar live.
  await desk.getByRole('button', { name: 'Remove' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'Remove Billing desk?' })
  const confirm = dialog.getByRole('button', { name: 'Remove number' })
  await expect(confirm).toBeDisabled()
  await dialog.getByLabel(`Type ${BILLING.number} to confirm`).fill('+14155550100')
  await expect(confirm).toBeDisabled()
  await dialog.getByLabel(`Type ${BILLING.number} to confirm`).fill(BILLING.number)
  await confirm.click()
  await expect(dialog).toHaveCount(0)
  await expect(phoneNumberLink(carol.page, renamed)).toHaveCount(0)
  await expect(numberCard(alice.page, 'Billing desk')).toHaveCount(0)
  // Live on another admin's Settings too.
  await expect(numberCard(bob.page, 'Billing desk')).toHaveCount(0)
  await expect(numberCard(alice.page, 'Support')).toBeVisible()
})
