// Issue 24: a row's own buttons (hover, or the selected row on touch) mark it without opening it;
// E moves the reading pane to the next conversation; every toast names the conversation.
import { devices, expect, test, type Page } from '@playwright/test'
import {
  UNREAD,
  aliceAndBob,
  conversations,
  deliver,
  incomingSms,
  openInbox,
  relayPerFile,
  row,
  screenshot,
  showView,
  teammate,
  threadTitle,
} from '../support/app.ts'

const relay = relayPerFile()

function selected(page: Page) {
  return conversations(page).getByRole('option', { selected: true })
}

function toast(page: Page, text: string) {
  return page.getByText(text, { exact: true })
}

test('a hovered row’s “Mark as done” takes it out of both teammates’ Open view without opening it; the toast names it and Undo brings it back; “Reopen” on a Done row', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const now = Date.now()
  // Newest first: Mary, Dorothy, Katherine.
  await deliver(
    relay,
    ...['Katherine Johnson', 'Dorothy Vaughan', 'Mary Jackson'].map((contactName, i) =>
      incomingSms({
        conversationId: `c-e2e-rowact-${contactName.split(' ')[0]!.toLowerCase()}`,
        contactName,
        body: `rowact question ${i}`,
        at: now - 3000 + i * 1000,
      }),
    ),
  )
  const katherine = row(alice.page, 'Katherine Johnson')
  await expect(katherine).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Katherine Johnson')).toBeVisible()

  // Alice reads Mary; the row buttons of another row leave the pane and the selection alone.
  await row(alice.page, 'Mary Jackson').click()
  await expect(threadTitle(alice.page, 'Mary Jackson')).toBeVisible()
  const url = alice.page.url()

  await katherine.hover()
  const done = katherine.getByRole('button', { name: 'Mark as done' })
  await expect(done).toBeVisible()
  await expect(katherine.getByRole('button', { name: 'Mark as unread' })).toBeVisible()
  await expect(katherine.getByRole('button', { name: 'Reopen' })).toHaveCount(0)
  // The buttons are not part of the row's name.
  await expect(katherine).not.toHaveAccessibleName(/Mark as/)
  await screenshot(alice.page, 'row-actions-hover')
  await done.click()

  await expect(katherine).toHaveCount(0)
  await expect(row(bob.page, 'Katherine Johnson')).toHaveCount(0)
  await expect(toast(alice.page, 'Marked Katherine Johnson as done')).toBeVisible()
  expect(alice.page.url()).toBe(url)
  await expect(threadTitle(alice.page, 'Mary Jackson')).toBeVisible()
  await expect(selected(alice.page)).toHaveAccessibleName(/Mary Jackson/)

  // Undo (the toast's) brings it back, unread as it was, on both screens.
  await alice.page.getByRole('button', { name: 'Undo' }).click()
  await expect(katherine).toBeVisible()
  await expect(katherine).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Katherine Johnson')).toHaveAccessibleName(UNREAD)

  // Bob marks Dorothy done from her row, then reopens her from the Done view's row.
  const dorothy = row(bob.page, 'Dorothy Vaughan')
  await dorothy.hover()
  await dorothy.getByRole('button', { name: 'Mark as done' }).click()
  await expect(dorothy).toHaveCount(0)
  await expect(row(alice.page, 'Dorothy Vaughan')).toHaveCount(0)
  await showView(bob.page, 'Done')
  await dorothy.hover()
  await expect(dorothy.getByRole('button', { name: 'Mark as done' })).toHaveCount(0)
  await dorothy.getByRole('button', { name: 'Reopen' }).click()
  await expect(dorothy).toHaveCount(0)
  await expect(toast(bob.page, 'Reopened Dorothy Vaughan')).toBeVisible()
  await expect(row(alice.page, 'Dorothy Vaughan')).toBeVisible()
  await expect(row(alice.page, 'Dorothy Vaughan')).not.toHaveAccessibleName(UNREAD)

  await alice.context.close()
  await bob.context.close()
})

test('E on the conversation being read opens the next one in the pane, read as a click reads it; Ctrl+Z undoes the Done, not that read', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const now = Date.now()
  // Newest first: Christine, then Annie.
  await deliver(
    relay,
    incomingSms({
      conversationId: 'c-e2e-rowact-annie',
      contactName: 'Annie Easley',
      body: 'rowact next',
      at: now - 1000,
    }),
    incomingSms({
      conversationId: 'c-e2e-rowact-christine',
      contactName: 'Christine Darden',
      body: 'rowact first',
      at: now,
    }),
  )
  const page = alice.page
  await expect(row(page, 'Annie Easley')).toHaveAccessibleName(UNREAD)
  await row(page, 'Christine Darden').click()
  await expect(threadTitle(page, 'Christine Darden')).toBeVisible()

  await page.keyboard.press('e')
  await expect(row(page, 'Christine Darden')).toHaveCount(0)
  await expect(threadTitle(page, 'Annie Easley')).toBeVisible()
  await expect(page).toHaveURL(/\/inbox\/pn-support\/c-e2e-rowact-annie/)
  await expect(selected(page)).toHaveAccessibleName(/Annie Easley/)
  await expect(row(page, 'Annie Easley')).not.toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Annie Easley')).not.toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Christine Darden')).toHaveCount(0)
  await expect(toast(page, 'Marked Christine Darden as done')).toBeVisible()

  await page.keyboard.press('Control+z')
  await expect(row(page, 'Christine Darden')).toBeVisible()
  await expect(row(bob.page, 'Christine Darden')).toBeVisible()
  await expect(threadTitle(page, 'Annie Easley')).toBeVisible()
  await expect(row(page, 'Annie Easley')).not.toHaveAccessibleName(UNREAD)

  await alice.context.close()
  await bob.context.close()
})

test('on a phone, the selected row shows its buttons (no hover there); the other rows do not', async ({
  browser,
}) => {
  const phone = await teammate(browser, relay, 'alice@example.com', { ...devices['Pixel 7'] })
  const page = phone.page
  await openInbox(page)
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-rowact-evelyn', contactName: 'Evelyn Boyd', body: 'Hi' }),
  )
  const evelyn = row(page, 'Evelyn Boyd')
  await evelyn.tap()
  await expect(threadTitle(page, 'Evelyn Boyd')).toBeVisible()
  await page.getByRole('button', { name: 'Back to conversations' }).tap()
  await expect(evelyn).toHaveAttribute('aria-selected', 'true')

  const others = conversations(page).getByRole('option', { selected: false })
  await expect(others.first()).toBeVisible()
  await expect(others.getByRole('button', { name: 'Mark as done' })).toHaveCount(0)
  await evelyn.getByRole('button', { name: 'Mark as unread' }).tap()
  await expect(evelyn).toHaveAccessibleName(UNREAD)
  await expect(toast(page, 'Marked Evelyn Boyd as unread')).toBeVisible()
  await evelyn.getByRole('button', { name: 'Mark as done' }).tap()
  await expect(evelyn).toHaveCount(0)
  await expect(toast(page, 'Marked Evelyn Boyd as done')).toBeVisible()
  await screenshot(page, 'row-actions-phone')

  await phone.context.close()
})
