// Scenario 3 (issue 6): an SMS the Done author had not seen reopens the conversation (P3).
import { expect, test } from '@playwright/test'
import {
  NAMES,
  UNREAD,
  actions,
  connection,
  deliver,
  incomingSms,
  row,
  screenshot,
  showView,
  threadHeader,
  threadTitle,
  aliceAndBob,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

test('[P3] Alice marks Done offline while a new SMS arrives: after she reconnects both screens show Open + Unread, reopened by the new message', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)

  const contact = 'Katherine Johnson'
  const conversationId = 'c-e2e-escape-1'
  await deliver(relay, incomingSms({ conversationId, contactName: contact, body: 'Hello?' }))
  // Both open it (viewing marks it read); a message arriving while it stays open stays unread.
  for (const { page } of [alice, bob]) {
    await row(page, contact).click()
    await expect(threadTitle(page, contact)).toBeVisible()
    await expect(row(page, contact)).not.toHaveAccessibleName(UNREAD)
  }
  // The read is acknowledged before the network goes: the count below is the Done alone.
  await expect(connection(alice.page)).toContainText('All changes synced')

  await alice.context.setOffline(true)
  await expect(connection(alice.page)).toContainText('Offline')
  await actions(alice.page).getByRole('button', { name: 'Mark as done' }).click()
  await expect(threadHeader(alice.page)).toContainText('Done')
  await expect(row(alice.page, contact)).toHaveCount(0)
  await expect(connection(alice.page)).toContainText('1 change not yet synced')

  // Meanwhile the provider delivers a new SMS that Alice's replica has not seen.
  await deliver(
    relay,
    incomingSms({ conversationId, contactName: contact, body: 'Actually, one more question' }),
  )
  await expect(row(bob.page, contact)).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, contact)).toContainText('Actually, one more question')

  await alice.context.setOffline(false)
  await expect(connection(alice.page)).toContainText('All changes synced')

  for (const { page } of [alice, bob]) {
    await expect(row(page, contact)).toBeVisible()
    await expect(row(page, contact)).toHaveAccessibleName(UNREAD)
    await expect(row(page, contact)).toContainText('Reopened by new message')
    await showView(page, 'Done')
    await expect(row(page, contact)).toHaveCount(0)
    await showView(page, 'Open')
  }
  // Alice's header explains: her Done, then the SMS she had not seen.
  await expect(threadHeader(alice.page)).toContainText('Open · Unread')
  await expect(threadHeader(alice.page)).toContainText(/Done by you .* · reopened by new SMS/)
  await expect(threadHeader(bob.page)).toContainText('Open · Unread')
  await expect(threadHeader(bob.page)).toContainText(
    new RegExp(`Done by ${NAMES.alice} .* · reopened by new SMS`),
  )
  await screenshot(alice.page, 'alice-reopened')
  await screenshot(bob.page, 'bob-reopened')

  await alice.context.close()
  await bob.context.close()
})
