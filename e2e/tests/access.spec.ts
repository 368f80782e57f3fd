// Scenario 8 (issue 6): phone-number access — hidden, refused by URL and by socket, revoked live.
import { expect, test, type Page } from '@playwright/test'
import {
  FRONT_DESK,
  SALES,
  SUPPORT,
  conversations,
  login,
  openInbox,
  phoneNumberLink,
  screenshot,
  teammate,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

/** Opens a sync socket from the page (same origin) and reports how it ended. */
function trySocket(page: Page, room: string, token: string) {
  return page.evaluate(
    ({ room, token }) =>
      new Promise<string>((resolve) => {
        const url = `${location.origin.replace(/^http/, 'ws')}/sync/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}`
        const ws = new WebSocket(url)
        let opened = false
        ws.onopen = () => {
          opened = true
          // A granted room stays open; give a refusal the time to arrive, then report.
          setTimeout(() => {
            if (ws.readyState === WebSocket.OPEN) {
              ws.close()
              resolve('open')
            }
          }, 1000)
        }
        ws.onclose = (e) => resolve(`closed ${e.code}${opened ? '' : ' before open'}`)
      }),
    { room, token },
  )
}

function noAccess(page: Page) {
  return page.getByRole('alert').filter({ hasText: 'You don’t have access to this phone number' })
}

test('a member without access does not see a phone number, cannot open it by URL nor join its room; revoking access removes it live', async ({
  browser,
}) => {
  // Carol has Support only.
  const carol = await teammate(browser, relay, 'carol@example.com')
  await expect(phoneNumberLink(carol.page, SUPPORT)).toBeVisible()
  await expect(phoneNumberLink(carol.page, SALES)).toHaveCount(0)
  await expect(phoneNumberLink(carol.page, FRONT_DESK)).toHaveCount(0)

  await carol.page.goto(`/inbox/${SALES.id}`)
  await expect(noAccess(carol.page)).toBeVisible()
  await expect(conversations(carol.page)).toHaveCount(0)
  await screenshot(carol.page, 'carol-no-access')

  const carolToken = await login(relay, 'carol@example.com')
  expect(await trySocket(carol.page, `inbox:${SUPPORT.id}`, carolToken)).toBe('open')
  expect(await trySocket(carol.page, `inbox:${SALES.id}`, carolToken)).toMatch(/^closed 4403/)
  expect(await trySocket(carol.page, 'conversation:c-sales-0001', carolToken)).toMatch(
    /^closed 4403/,
  )

  // Dan works in Sales; Alice (owner) revokes his access while he looks at it.
  const dan = await teammate(browser, relay, 'dan@example.com')
  const alice = await teammate(browser, relay, 'alice@example.com')
  await openInbox(dan.page, SALES)
  await openInbox(alice.page, SALES)
  const aliceToken = await login(relay, 'alice@example.com')
  const res = await fetch(`${relay.url}/api/admin/access`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
    body: JSON.stringify({ memberId: 'dan', phoneNumberId: SALES.id }),
  })
  expect(res.status).toBe(200)

  await expect(phoneNumberLink(dan.page, SALES)).toHaveCount(0)
  await expect(phoneNumberLink(dan.page, FRONT_DESK)).toBeVisible()
  await expect(conversations(dan.page)).toHaveCount(0)
  await expect(noAccess(dan.page)).toBeVisible()
  await screenshot(dan.page, 'dan-revoked')
  // Alice's screen is untouched.
  await expect(phoneNumberLink(alice.page, SALES)).toBeVisible()
  await expect(conversations(alice.page).getByRole('option').first()).toBeVisible()

  await carol.context.close()
  await dan.context.close()
  await alice.context.close()
})
