// Issue 23: an owner invites a teammate from Settings, who joins in another browser and sees
// exactly the numbers granted; a revoked number leaves their sidebar live; removal signs their
// open page out within 1 s.
import { expect, test } from '@playwright/test'
import {
  FRONT_DESK,
  SALES,
  SUPPORT,
  phoneNumberLink,
  screenshot,
  teammate,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

test('an owner invites a teammate with two numbers, revokes one live, and removing them signs their open page out within 1 s', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  await alice.page.getByRole('link', { name: 'Settings' }).click()
  const members = alice.page.getByRole('region', { name: 'Members' })
  await expect(alice.page.getByRole('heading', { name: 'Members' })).toBeVisible()
  // The demo workspace's five members are listed with their role.
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(5)

  await alice.page.getByRole('button', { name: 'Invite teammate' }).click()
  const form = alice.page.getByRole('form', { name: 'Invite teammate' })
  // An email already a member is refused with the relay's reason, in the form.
  await form.getByLabel('Email').fill('bob@example.com')
  await form.getByRole('button', { name: 'Create invite link' }).click()
  await expect(form.getByRole('alert')).toContainText('already a member')

  await form.getByLabel('Email').fill('nina@example.com')
  await form.getByLabel('Role').selectOption('member')
  await form.getByRole('checkbox', { name: SUPPORT.name }).check()
  await form.getByRole('checkbox', { name: SALES.name }).check()
  await form.getByRole('button', { name: 'Create invite link' }).click()
  const link = alice.page.getByLabel('Invite link')
  await expect(link).toHaveValue(/\/invite\/[\w-]{43}$/)
  const url = await link.inputValue()
  await expect(
    alice.page.getByRole('list', { name: 'Pending invites' }).getByRole('listitem'),
  ).toHaveCount(1)
  await screenshot(alice.page, 'settings-invite')

  // Nina opens the link in a browser of her own and joins.
  const ninaContext = await browser.newContext({ baseURL: relay.url })
  const nina = await ninaContext.newPage()
  await nina.goto(new URL(url).pathname)
  await expect(nina.getByText('nina@example.com')).toBeVisible()
  await nina.getByLabel('Your name').fill('Nina Park')
  await nina.getByLabel('Choose a password').fill('nina-password')
  await nina.getByRole('button', { name: 'Join the team' }).click()
  await expect(nina.getByRole('navigation', { name: 'Phone numbers' })).toBeVisible()
  await expect(phoneNumberLink(nina, SUPPORT)).toBeVisible()
  await expect(phoneNumberLink(nina, SALES)).toBeVisible()
  await expect(phoneNumberLink(nina, FRONT_DESK)).toHaveCount(0)
  // A member sees their own profile, not the team's settings.
  await expect(nina.getByRole('link', { name: 'Settings' })).toHaveCount(0)
  await expect(nina.getByRole('link', { name: 'Profile' })).toBeVisible()

  // The link works once.
  const again = await browser.newContext({ baseURL: relay.url })
  const second = await again.newPage()
  await second.goto(new URL(url).pathname)
  await expect(second.getByRole('alert')).toContainText('already been used')
  await again.close()

  // Alice sees Nina among the members, live, and takes Sales away from her.
  const ninaRow = members.getByRole('listitem', { name: 'Nina Park' })
  await expect(ninaRow).toBeVisible()
  await expect(ninaRow.getByRole('checkbox', { name: SALES.name })).toBeChecked()
  await expect(ninaRow.getByRole('checkbox', { name: FRONT_DESK.name })).not.toBeChecked()
  await ninaRow.getByRole('checkbox', { name: SALES.name }).uncheck()
  await expect(phoneNumberLink(nina, SALES)).toHaveCount(0)
  await expect(phoneNumberLink(nina, SUPPORT)).toBeVisible()
  // A number granted appears in her sidebar without a reload.
  await ninaRow.getByRole('checkbox', { name: FRONT_DESK.name }).check()
  await expect(phoneNumberLink(nina, FRONT_DESK)).toBeVisible()
  // Made an admin, she finds the team's Settings (her sockets rejoin under the new role [S10]).
  await ninaRow.getByRole('combobox', { name: 'Role of Nina Park' }).selectOption('admin')
  await expect(nina.getByRole('link', { name: 'Settings' })).toBeVisible()
  await expect(phoneNumberLink(nina, SUPPORT)).toBeVisible()

  // Removing the last owner is refused with the relay's reason in the row.
  const aliceRow = members.getByRole('listitem', { name: /Alice/ })
  await aliceRow.getByRole('button', { name: 'Remove member' }).click()
  await aliceRow.getByRole('button', { name: 'Yes, remove' }).click()
  await expect(aliceRow.getByRole('alert')).toContainText('last owner')

  // Removing Nina signs her open page out within 1 s of the relay's answer.
  await ninaRow.getByRole('button', { name: 'Remove member' }).click()
  const removed = alice.page.waitForResponse(
    (r) => r.request().method() === 'DELETE' && r.url().includes('/api/admin/members/'),
  )
  await ninaRow.getByRole('button', { name: 'Yes, remove' }).click()
  expect((await removed).status()).toBe(200)
  await expect(nina.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 1500 })
  await expect(members.getByRole('listitem', { name: 'Nina Park' })).toHaveCount(0)
  await screenshot(nina, 'removed-signed-out')
  await ninaContext.close()
})

test('a member renames themself, changes their password and signs out their other sessions from Profile', async ({
  browser,
}) => {
  const laptop = await teammate(browser, relay, 'erin@example.com')
  const phone = await teammate(browser, relay, 'erin@example.com')
  await laptop.page.getByRole('link', { name: 'Profile' }).click()
  const profile = laptop.page.getByRole('region', { name: 'Profile' })
  await expect(laptop.page.getByRole('heading', { name: 'Members' })).toHaveCount(0)

  await profile.getByLabel('Name', { exact: true }).fill('Erin W.')
  await profile.getByRole('button', { name: 'Save name' }).click()
  await expect(profile.getByRole('status')).toHaveText('Name saved.')
  // The name is the workspace's: every open screen shows it, the other device's included.
  await expect(phone.page.getByText('Erin W.', { exact: true })).toBeVisible()

  await profile.getByLabel('Current password').fill('not-my-password')
  await profile.getByLabel('New password').fill('erin-new-password')
  await profile.getByRole('button', { name: 'Change password' }).click()
  await expect(profile.getByRole('alert')).toContainText('Current password')

  await expect(profile.getByRole('list', { name: 'Sessions' }).getByRole('listitem')).toHaveCount(2)
  await profile.getByRole('button', { name: 'Sign out other sessions' }).click()
  await expect(phone.page.getByRole('button', { name: 'Sign in' })).toBeVisible()
  await expect(profile.getByRole('list', { name: 'Sessions' }).getByRole('listitem')).toHaveCount(1)
  await expect(laptop.page.getByRole('navigation', { name: 'Phone numbers' })).toBeVisible()
  await laptop.context.close()
  await phone.context.close()
})
