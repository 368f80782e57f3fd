// Issue 10: the audit history an epoch moves out of the room stays readable where people look
// for it — "who marked what" in the contact panel, and the team figures.
import { expect, test } from '@playwright/test'
import {
  actions,
  deliver,
  incomingSms,
  login,
  openInbox,
  relayPerFile,
  row,
  showView,
  teammate,
  threadTitle,
  SUPPORT,
} from '../support/app.ts'

// Horizon 0: an epoch archives every audit entry made before it.
const relay = relayPerFile({ HISTORY_HORIZON_MS: '0' })

test('after an epoch archived her marks, Alice still sees who marked what and the figures count them', async ({
  browser,
}) => {
  const contact = 'Rosalind Franklin'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-archive-1', contactName: contact, body: 'Photo 51?' }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await openInbox(page)
  await row(page, contact).click()
  await expect(threadTitle(page, contact)).toBeVisible()
  await actions(page).getByRole('button', { name: 'Mark as done' }).click()
  await expect(row(page, contact)).toHaveCount(0)

  // The contact panel (always shown at desktop width) lists who marked what.
  const panel = page.getByRole('complementary', { name: 'Contact' })
  await showView(page, 'Done')
  await row(page, contact).click()
  await expect(panel.getByText('you marked done')).toBeVisible()

  const token = await login(relay, 'alice@example.com')
  const res = await fetch(`${relay.url}/api/admin/rooms/inbox:${SUPPORT.id}/epoch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  })
  expect(res.status, await res.clone().text()).toBe(200)
  const archive = await fetch(
    `${relay.url}/api/history/${SUPPORT.id}?conversationId=c-e2e-archive-1`,
    { headers: { authorization: `Bearer ${token}` } },
  )
  const { entries } = (await archive.json()) as { entries: { kind: string }[] }
  expect(entries.map((e) => e.kind)).toContain('done')

  // A fresh page view after the epoch: the room itself holds none of those marks any more.
  await page.reload()
  await openInbox(page)
  await showView(page, 'Done')
  await row(page, contact).click()
  await expect(panel.getByText('you marked done')).toBeVisible()
  await expect(panel.getByText('No changes yet.')).toHaveCount(0)

  await page.getByRole('link', { name: 'Team figures' }).click()
  await page.getByRole('button', { name: 'Today' }).click()
  const completed = page
    .getByRole('table', { name: 'Team figures for the selected range' })
    .getByRole('row')
    .filter({
      has: page.getByRole('rowheader', { name: 'Conversations completed in all', exact: true }),
    })
    .getByRole('cell')
  await expect
    .poll(async () => Number((await completed.textContent())?.replace(/\D/g, '')))
    .toBeGreaterThan(0)
})

test('offline, the Team page says the archive could not be read, without retrying in a loop', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await openInbox(page)
  let archiveRequests = 0
  page.on('request', (r) => {
    if (r.url().includes('/api/history/')) archiveRequests++
  })
  await page.context().setOffline(true)
  await page.getByRole('link', { name: 'Team figures' }).click()
  await expect(page.getByText(/history archive could not be read/)).toBeVisible()
  // A failed read used to re-run the page's effect and fetch again at once, for as long as the
  // page stayed offline; one read per phone number is what should happen.
  await page.waitForTimeout(1_000)
  expect(archiveRequests).toBeLessThanOrEqual(3)
})
