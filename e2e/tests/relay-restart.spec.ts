// Scenario 7 (issue 6): the relay is SIGKILLed mid-session and restarted on the same port and data;
// pages reconnect by themselves and no mark is lost.
import { expect, test } from '@playwright/test'
import {
  connection,
  deliver,
  incomingSms,
  markDoneByKeyboard,
  openInbox,
  row,
  screenshot,
  showView,
  teammate,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

const acked = 'Edsger Dijkstra'
const racing = 'Frances Allen'
const whileDown = 'John Backus'

test('SIGKILL the relay while Alice marks, restart it on the same port and data: pages reconnect and no mark is lost', async ({
  browser,
}) => {
  await deliver(
    relay,
    ...[acked, racing, whileDown].map((contactName, i) =>
      incomingSms({ conversationId: `c-e2e-restart-${i}`, contactName, body: `Ticket ${i}` }),
    ),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  const page = alice.page
  await openInbox(page)
  await openInbox(bob.page)

  // One mark the relay has acknowledged…
  await markDoneByKeyboard(page, acked)
  await expect(connection(page)).toContainText('All changes synced')
  await expect(row(bob.page, acked)).toHaveCount(0)

  // …one racing the kill…
  await markDoneByKeyboard(page, racing)
  await relay.kill('SIGKILL')
  // …and one made while the relay is down.
  await markDoneByKeyboard(page, whileDown)
  await expect(connection(page)).not.toContainText('Online')
  await expect(connection(page)).toContainText(/[12] changes? not yet synced/)
  await screenshot(page, 'alice-relay-down')

  await relay.restart()
  for (const p of [page, bob.page]) {
    await expect(connection(p)).toContainText('Online', { timeout: 30_000 })
    await expect(connection(p)).toContainText('All changes synced')
  }
  for (const contact of [acked, racing, whileDown])
    await expect(row(bob.page, contact)).toHaveCount(0)
  await showView(bob.page, 'Done')
  for (const contact of [acked, racing, whileDown])
    await expect(row(bob.page, contact)).toBeVisible()
  await screenshot(bob.page, 'bob-after-restart')

  // A fresh device after the restart loads the same marks from the relay's store.
  const carol = await teammate(browser, relay, 'carol@example.com')
  await openInbox(carol.page)
  await showView(carol.page, 'Done')
  for (const contact of [acked, racing, whileDown])
    await expect(row(carol.page, contact)).toBeVisible()

  await alice.context.close()
  await bob.context.close()
  await carol.context.close()
})
