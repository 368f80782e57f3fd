// Issue 24, "Outages": the banner tells "you are offline" from "the server is unreachable"
// (the relay killed while the network is on), says what still works, and leaves when the
// outage ends; a conversation never opened on this device says it is not downloaded yet; a
// reply typed and not sent survives a reload.
import { expect, test, type Page } from '@playwright/test'
import {
  connection,
  conversations,
  deliver,
  incomingSms,
  markDoneByKeyboard,
  UNREAD,
  openInbox,
  row,
  screenshot,
  teammate,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

const OFFLINE = 'You are offline — your changes are kept on this device and sync when you reconnect'
const UNREACHABLE =
  "Can't reach the Switchboard server — retrying; your changes are kept on this device"

/** The outage banner, whichever outage it tells (never the "Connection" status line). */
function banner(page: Page, text: string) {
  return page.getByRole('status').filter({ hasText: text })
}

test('the relay down while the network is on says "Can\'t reach the server"; the network gone says "You are offline"; both leave when it is back', async ({
  browser,
}) => {
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-outage-0', contactName: 'Grace Hopper', body: 'Hi' }),
    incomingSms({ conversationId: 'c-e2e-outage-1', contactName: 'Ada Lovelace', body: 'Hello' }),
    incomingSms({
      conversationId: 'c-e2e-outage-2',
      contactName: 'Radia Perlman',
      body: 'Is the router fixed?',
    }),
    incomingSms({ conversationId: 'c-e2e-outage-3', contactName: 'Barbara Liskov', body: 'Yo' }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await openInbox(page)
  await expect(connection(page)).toContainText('All changes synced')
  await expect(banner(page, UNREACHABLE)).toHaveCount(0)
  await expect(banner(page, OFFLINE)).toHaveCount(0)

  // The server goes away; the network stays.
  await relay.kill('SIGKILL')
  await expect(banner(page, UNREACHABLE)).toBeVisible({ timeout: 15_000 })
  await expect(banner(page, OFFLINE)).toHaveCount(0)
  await expect(connection(page)).toContainText('Server unreachable')
  // What still works: marking, kept on this device and counted.
  await markDoneByKeyboard(page, 'Grace Hopper')
  await expect(connection(page)).toContainText('1 change not yet synced')
  await expect(banner(page, UNREACHABLE)).toContainText('1 change waiting')
  await screenshot(page, 'server-unreachable')

  await relay.restart()
  await expect(connection(page)).toContainText('Online', { timeout: 30_000 })
  await expect(connection(page)).toContainText('All changes synced')
  await expect(banner(page, UNREACHABLE)).toHaveCount(0)

  // The network goes away: another banner, another reason.
  await alice.context.setOffline(true)
  await expect(banner(page, OFFLINE)).toBeVisible()
  await expect(banner(page, UNREACHABLE)).toHaveCount(0)
  await expect(connection(page)).toContainText('Offline')

  // Two things the user did are two changes…
  await markDoneByKeyboard(page, 'Ada Lovelace')
  await markDoneByKeyboard(page, 'Barbara Liskov')
  await expect(connection(page)).toContainText('2 changes not yet synced')
  await page.getByRole('searchbox', { name: 'Search conversations' }).fill('')

  // …and opening a conversation, which reads it, is not a third. Never opened on this device,
  // it has nothing to show yet, and says so.
  await row(page, 'Radia Perlman').click()
  await expect(threadTitle(page, 'Radia Perlman')).toBeVisible()
  const thread = page.getByRole('log', { name: 'Conversation with Radia Perlman' })
  await expect(thread).toContainText('Not downloaded yet — it will load when you’re back online')
  await expect(thread).not.toContainText('No messages yet')
  await expect(row(page, 'Radia Perlman')).not.toHaveAccessibleName(UNREAD)
  await expect(connection(page)).toContainText('2 changes not yet synced')
  await screenshot(page, 'offline')

  await alice.context.setOffline(false)
  await expect(banner(page, OFFLINE)).toHaveCount(0)
  await expect(connection(page)).toContainText('All changes synced', { timeout: 30_000 })
  await expect(thread).toContainText('Is the router fixed?')
  await expect(thread).not.toContainText('Not downloaded yet')

  await alice.context.close()
})

test('a reply typed and not sent is kept per conversation across a reload, and cleared once sent', async ({
  browser,
}) => {
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-draft-0', contactName: 'Hedy Lamarr', body: 'Any news?' }),
    incomingSms({ conversationId: 'c-e2e-draft-1', contactName: 'Joan Clarke', body: 'Ping' }),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const page = alice.page
  await openInbox(page)
  const reply = page.getByRole('textbox', { name: 'Reply' })

  await row(page, 'Hedy Lamarr').click()
  await expect(threadTitle(page, 'Hedy Lamarr')).toBeVisible()
  await reply.fill('The part ships on Monday')
  // Another conversation has its own (empty) draft.
  await row(page, 'Joan Clarke').click()
  await expect(threadTitle(page, 'Joan Clarke')).toBeVisible()
  await expect(reply).toHaveValue('')

  await page.reload()
  await expect(conversations(page).getByRole('option').first()).toBeVisible()
  await row(page, 'Hedy Lamarr').click()
  await expect(threadTitle(page, 'Hedy Lamarr')).toBeVisible()
  await expect(reply).toHaveValue('The part ships on Monday')

  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(reply).toHaveValue('')
  await page.reload()
  await row(page, 'Hedy Lamarr').click()
  await expect(threadTitle(page, 'Hedy Lamarr')).toBeVisible()
  await expect(page.getByRole('log', { name: 'Conversation with Hedy Lamarr' })).toContainText(
    'The part ships on Monday',
  )
  await expect(reply).toHaveValue('')

  await alice.context.close()
})
