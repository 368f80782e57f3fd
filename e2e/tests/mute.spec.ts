// Issue 24: a muted sender's SMS arrives Done on every teammate's screen — the relay, as the
// single ingesting writer, marks it Done right after ingesting it — and the header names the mute.
import { expect, test } from '@playwright/test'
import {
  UNREAD,
  actions,
  aliceAndBob,
  deliver,
  incomingSms,
  relayPerFile,
  row,
  showView,
  threadHeader,
} from '../support/app.ts'

const relay = relayPerFile()

test('Alice mutes a short code; its next SMS arrives Done on Bob’s screen, marked “Muted”; unmuted, the next one arrives Open + Unread', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const sms = (body: string) =>
    incomingSms({
      conversationId: 'c-e2e-mute-bank',
      contactName: 'Bank Codes',
      from: '12345',
      body,
    })
  await deliver(relay, sms('Your code is 1111'))
  await expect(row(bob.page, 'Bank Codes')).toHaveAccessibleName(UNREAD)

  await row(alice.page, 'Bank Codes').click()
  await actions(alice.page).getByRole('button', { name: 'Mute sender' }).click()
  await expect(threadHeader(alice.page).getByTestId('muted')).toHaveText('Muted')
  await expect(actions(alice.page).getByRole('button', { name: 'Unmute sender' })).toBeVisible()

  // The next SMS from the muted number leaves Bob's Open view at once: it arrived Done.
  await deliver(relay, sms('Your code is 2222'))
  await expect(row(bob.page, 'Bank Codes')).toHaveCount(0)
  await showView(bob.page, 'Done')
  await expect(row(bob.page, 'Bank Codes')).toBeVisible()
  await expect(row(bob.page, 'Bank Codes')).toContainText('Muted')
  await expect(row(bob.page, 'Bank Codes')).not.toHaveAccessibleName(UNREAD)
  await expect(threadHeader(alice.page).getByTestId('merge-explanation')).toContainText(
    "Marked done by rule 'Muted 12345'",
  )

  await actions(alice.page).getByRole('button', { name: 'Unmute sender' }).click()
  await expect(threadHeader(alice.page).getByTestId('muted')).toHaveCount(0)
  await showView(bob.page, 'Open')
  await deliver(relay, sms('Your code is 3333'))
  await expect(row(bob.page, 'Bank Codes')).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, 'Bank Codes')).not.toContainText('Muted')
})
