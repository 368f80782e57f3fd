// Scenario 1 (issue 6): two teammates triage the same conversation from two browsers.
import { expect, test } from '@playwright/test'
import {
  UNREAD,
  actions,
  deliver,
  incomingSms,
  row,
  screenshot,
  showView,
  threadTitle,
  unreadBadge,
  aliceAndBob,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

test('Alice marks Done: it leaves Bob’s Open view for his Done filter; Bob marks Unread: Alice sees the dot and the badge', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)

  const contact = 'Ada Lovelace'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-two-1', contactName: contact, body: 'Is my order late?' }),
  )
  // A new incoming SMS is Open + Unread on both screens.
  await expect(row(alice.page, contact)).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, contact)).toHaveAccessibleName(UNREAD)

  // Alice opens it (viewing marks it read for the team), then marks it done.
  await row(alice.page, contact).click()
  await expect(threadTitle(alice.page, contact)).toBeVisible()
  await expect(row(bob.page, contact)).not.toHaveAccessibleName(UNREAD)
  await actions(alice.page).getByRole('button', { name: 'Mark as done' }).click()

  await expect(row(alice.page, contact)).toHaveCount(0)
  await expect(row(bob.page, contact)).toHaveCount(0)
  await showView(bob.page, 'Done')
  await expect(row(bob.page, contact)).toBeVisible()
  await expect(row(bob.page, contact)).toHaveAccessibleName(/Done/)
  await screenshot(bob.page, 'bob-done-filter')

  // Bob marks it unread from his Done filter: it is back in Alice's inbox, dot and badge.
  const badgeBefore = await unreadBadge(alice.page)
  await row(bob.page, contact).click()
  await expect(threadTitle(bob.page, contact)).toBeVisible()
  await actions(bob.page).getByRole('button', { name: 'Mark as unread' }).click()

  await expect(row(alice.page, contact)).toBeVisible()
  await expect(row(alice.page, contact)).toHaveAccessibleName(UNREAD)
  await expect.poll(() => unreadBadge(alice.page)).toBe(badgeBefore + 1)
  await expect(row(bob.page, contact)).toHaveCount(0)
  await showView(bob.page, 'Open')
  await expect(row(bob.page, contact)).toHaveAccessibleName(UNREAD)
  await screenshot(alice.page, 'alice-unread-again')
  await screenshot(bob.page, 'bob-open-unread')

  await alice.context.close()
  await bob.context.close()
})
