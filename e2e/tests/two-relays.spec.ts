// Issue 25: two relays on one PostgreSQL database. Alice's page is served by relay A, Bob's by
// relay B; they triage the same inbox live (B proxies Bob's socket to the room's owner). Relay A
// is SIGKILLed: Alice's page moves to B (the deployment's relay list), Bob's proxied socket is
// routed again once A's lease lapses, and both carry on with nothing lost.
import { expect, test } from '@playwright/test'
import {
  connection,
  deliver,
  incomingSms,
  markDoneByKeyboard,
  openInbox,
  row,
  showView,
  teammate,
} from '../support/app.ts'
import {
  freePort,
  startPostgres,
  startRelay,
  type Postgres,
  type RelayProcess,
} from '../support/relay.ts'

let pg: Postgres
let a: RelayProcess
let b: RelayProcess

test.beforeAll(async () => {
  pg = await startPostgres()
  const ports = [await freePort(), await freePort()]
  const urls = ports.map((p) => `http://127.0.0.1:${p}`)
  const common = {
    DATABASE_URL: pg.url,
    RELAY_PUBLIC_URLS: urls.join(','),
    ALLOWED_ORIGINS: urls.join(','),
    LEASE_MS: '1500',
    HEARTBEAT_MS: '300',
  }
  a = await startRelay({ ...common, RELAY_ID: 'a', RELAY_INTERNAL_URL: urls[0]! }, ports[0])
  b = await startRelay({ ...common, RELAY_ID: 'b', RELAY_INTERNAL_URL: urls[1]! }, ports[1])
})

test.afterAll(async () => {
  await a?.stop()
  await b?.stop()
  await pg?.stop()
})

const first = 'Grace Hopper'
const second = 'Alan Kay'
const afterKill = 'Barbara Liskov'

test('two pages on two relays triage one inbox live; SIGKILL one relay and both carry on through the other', async ({
  browser,
}) => {
  await deliver(
    a,
    ...[first, second, afterKill].map((contactName, i) =>
      incomingSms({ conversationId: `c-e2e-relays-${i}`, contactName, body: `Order ${i}` }),
    ),
  )
  const alice = await teammate(browser, a, 'alice@example.com')
  const bob = await teammate(browser, b, 'bob@example.com')
  await openInbox(alice.page)
  await openInbox(bob.page)

  // Alice on A, Bob on B: each sees the other's Done live.
  await markDoneByKeyboard(alice.page, first)
  await expect(row(bob.page, first)).toHaveCount(0)
  await expect(row(bob.page, second)).toHaveCount(1)
  await markDoneByKeyboard(bob.page, second)
  await alice.page.getByRole('searchbox', { name: 'Search conversations' }).fill('')
  await expect(row(alice.page, first)).toHaveCount(0)
  await expect(row(alice.page, second)).toHaveCount(0)
  await expect(row(alice.page, afterKill)).toHaveCount(1)
  await expect(connection(alice.page)).toContainText('All changes synced')

  await a.kill('SIGKILL')
  // Alice's page was served by A: it carries on through B.
  await markDoneByKeyboard(alice.page, afterKill)
  for (const page of [alice.page, bob.page])
    await expect(connection(page)).toContainText('All changes synced', { timeout: 30_000 })
  // Nothing lost: on both pages, with no search, the three are listed under Done and none is open.
  for (const page of [alice.page, bob.page]) {
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('')
    for (const contact of [first, second, afterKill])
      await expect(row(page, contact)).toHaveCount(0, { timeout: 15_000 })
    await showView(page, 'Done')
    for (const contact of [first, second, afterKill])
      await expect(row(page, contact)).toHaveCount(1)
  }
})
