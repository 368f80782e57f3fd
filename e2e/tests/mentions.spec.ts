// Scenario 10 (issue 6): an internal note with an @mention alerts the mentioned teammate.
import { expect, test } from '@playwright/test'
import {
  NAMES,
  deliver,
  incomingSms,
  row,
  screenshot,
  threadTitle,
  aliceAndBob,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

test('Alice writes a note mentioning Bob; Bob sees the mention, and opening it shows the note', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const contact = 'Barbara McClintock'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-mention-1', contactName: contact, body: 'Refund?' }),
  )
  await row(alice.page, contact).click()
  await expect(threadTitle(alice.page, contact)).toBeVisible()

  await alice.page.getByRole('radio', { name: 'Internal note' }).click()
  const note = alice.page.getByRole('textbox', { name: 'Note', exact: true })
  await note.click()
  await note.pressSequentially('@Bo')
  const suggestions = alice.page.getByRole('listbox', { name: 'Mention a teammate' })
  await expect(suggestions.getByRole('option', { name: NAMES.bob })).toBeVisible()
  await note.press('Enter')
  await expect(note).toHaveValue(new RegExp(`^@${NAMES.bob}\\s$`))
  await note.pressSequentially('can you call them back about the refund?')
  await alice.page.getByRole('button', { name: 'Add note' }).click()
  await expect(note).toHaveValue('')
  const aliceThread = alice.page.getByRole('log', { name: `Conversation with ${contact}` })
  await expect(
    aliceThread.getByRole('listitem').filter({ hasText: 'Internal note' }),
  ).toContainText('can you call them back about the refund?')

  // Bob is alerted in his sidebar, wherever he is.
  const mentions = bob.page.getByRole('region', { name: /Mentions/ })
  const mention = mentions.getByRole('button', { name: `${NAMES.alice} mentioned you` })
  await expect(mention).toBeVisible()
  await expect(mention).toContainText(contact)
  await screenshot(bob.page, 'bob-mentioned')
  await mention.click()
  await expect(threadTitle(bob.page, contact)).toBeVisible()
  const bobThread = bob.page.getByRole('log', { name: `Conversation with ${contact}` })
  const bobNote = bobThread.getByRole('listitem').filter({ hasText: 'Internal note' })
  await expect(bobNote).toContainText(NAMES.alice)
  await expect(bobNote).toContainText('can you call them back about the refund?')
  // Opening the mention clears it.
  await expect(mention).toHaveCount(0)

  await alice.context.close()
  await bob.context.close()
})
