// Scenario 9 (issue 6): presence — who else is viewing, and a warning before a colliding reply.
import { expect, test } from '@playwright/test'
import {
  NAMES,
  conversations,
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

test('Bob sees Alice’s avatar on the conversation she opens; when both reply, the second gets the collision warning', async ({
  browser,
}) => {
  const { alice, bob } = await aliceAndBob(browser, relay)
  const contact = 'Margaret Hamilton'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-presence-1', contactName: contact, body: 'Call me?' }),
  )

  await row(bob.page, contact).click()
  await expect(threadTitle(bob.page, contact)).toBeVisible()
  const bobSees = threadHeader(bob.page).getByRole('list', { name: 'Also viewing' })
  await expect(bobSees).toHaveCount(0)

  await row(alice.page, contact).click()
  await expect(threadTitle(alice.page, contact)).toBeVisible()
  await expect(bobSees.getByRole('listitem')).toHaveCount(1)
  await expect(bobSees.getByRole('listitem')).toContainText(NAMES.alice)
  const aliceSees = threadHeader(alice.page).getByRole('list', { name: 'Also viewing' })
  await expect(aliceSees.getByRole('listitem')).toHaveCount(1)
  await expect(aliceSees.getByRole('listitem')).toContainText(NAMES.bob)

  // Alice starts a reply; Bob is warned, and his send asks for confirmation.
  await alice.page.getByRole('textbox', { name: 'Reply' }).fill('Calling you in 5 minutes.')
  const warning = bob.page.getByRole('alert').filter({ hasText: 'replying' })
  await expect(warning).toContainText(`${NAMES.alice} is replying to this conversation.`)
  await expect(bobSees.getByRole('listitem')).toContainText(`${NAMES.alice} (replying)`)
  await bob.page.getByRole('textbox', { name: 'Reply' }).fill('I can take this one.')
  await bob.page.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(warning).toContainText(`${NAMES.alice} is also replying. Send anyway?`)
  await screenshot(bob.page, 'bob-collision-warning')
  await bob.page.getByRole('button', { name: 'Send anyway' }).click()

  // The reply goes out through the relay; both threads show it, Bob's box is empty again.
  for (const { page } of [alice, bob]) {
    await expect(
      page
        .getByRole('log', { name: `Conversation with ${contact}` })
        .getByText('I can take this one.'),
    ).toBeVisible()
  }
  await expect(bob.page.getByRole('textbox', { name: 'Reply' })).toHaveValue('')

  // Alice leaves the conversation: her avatar leaves Bob's header.
  await alice.page.getByRole('textbox', { name: 'Reply' }).fill('')
  await alice.page.goto('/inbox/pn-sales')
  await expect(conversations(alice.page)).toBeVisible()
  await expect(bobSees).toHaveCount(0)

  await alice.context.close()
  await bob.context.close()
})
