// Scenario 2 (issue 6): both teammates offline mark the same conversation; the later intent wins (P2).
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
  threadHeader,
  threadTitle,
  aliceAndBob,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

test('[P2] offline, Alice marks Done then Bob marks Unread: after reconnecting both show Open + Unread, decided by Bob', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)

  const contact = 'Grace Hopper'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-conflict-1', contactName: contact, body: 'Any update?' }),
  )
  for (const { page } of [alice, bob]) {
    await row(page, contact).click()
    await expect(threadTitle(page, contact)).toBeVisible()
    await expect(row(page, contact)).not.toHaveAccessibleName(UNREAD)
    await expect(connection(page)).toContainText('All changes synced')
  }

  await alice.context.setOffline(true)
  await bob.context.setOffline(true)
  for (const { page } of [alice, bob]) await expect(connection(page)).toContainText('Offline')

  await actions(alice.page).getByRole('button', { name: 'Mark as done' }).click()
  await expect(threadHeader(alice.page)).toContainText('Done')
  await expect(row(alice.page, contact)).toHaveCount(0)
  await expect(connection(alice.page)).toContainText('1 change not yet synced')
  // Bob's screen does not know: the relay is out of reach for both.
  await expect(row(bob.page, contact)).toBeVisible()

  // Later (the checks above take well over the clocks' millisecond), Bob marks Unread.
  await actions(bob.page).getByRole('button', { name: 'Mark as unread' }).click()
  await expect(row(bob.page, contact)).toHaveAccessibleName(UNREAD)
  await expect(connection(bob.page)).toContainText('1 change not yet synced')
  await screenshot(alice.page, 'alice-offline-done')

  // Bob's later intent reaches the relay first, Alice's earlier Done last: arrival order would
  // pick Done, the hybrid logical clock picks Bob's Unread (P2).
  await bob.context.setOffline(false)
  await expect(connection(bob.page)).toContainText('All changes synced')
  await alice.context.setOffline(false)

  for (const { page } of [alice, bob]) {
    await expect(connection(page)).toContainText('Online')
    await expect(connection(page)).toContainText('All changes synced')
    await expect(row(page, contact)).toBeVisible()
    await expect(row(page, contact)).toHaveAccessibleName(UNREAD)
    await expect(threadHeader(page)).toContainText('Open · Unread')
  }
  await expect(threadHeader(alice.page)).toContainText(`Marked unread by ${NAMES.bob}`)
  await expect(threadHeader(bob.page)).toContainText('Marked unread by you')
  await screenshot(alice.page, 'alice-after-merge')
  await screenshot(bob.page, 'bob-after-merge')

  await alice.context.close()
  await bob.context.close()
})
