// Scenario 6 (issue 6): on a phone, swipe left → Done, swipe right → Unread, with an undo toast.
import { devices, expect, test, type Locator, type Page } from '@playwright/test'
import {
  UNREAD,
  deliver,
  incomingSms,
  openInbox,
  row,
  screenshot,
  teammate,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

/**
 * A real touch drag (CDP touch events, as a finger produces them) across a row. `release` false
 * leaves the finger down, to look at what the row reveals; call the returned function to lift it.
 */
async function swipe(
  page: Page,
  target: Locator,
  dx: number,
  release = true,
): Promise<() => Promise<void>> {
  await target.scrollIntoViewIfNeeded()
  const box = await target.boundingBox()
  if (!box) throw new Error('row is not on screen')
  const cdp = await page.context().newCDPSession(page)
  const y = box.y + box.height / 2
  const x0 = box.x + box.width / 2
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y }] })
  const steps = 8
  for (let i = 1; i <= steps; i++) {
    const x = x0 + (dx * i) / steps
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] })
  }
  const lift = async () => {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
    await cdp.detach()
  }
  if (release) await lift()
  return lift
}

test('on a phone, swipe left marks Done and swipe right marks Unread, with an undo toast; the teammate sees both', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com', { ...devices['Pixel 7'] })
  const bob = await teammate(browser, relay, 'bob@example.com')
  const phone = alice.page
  await openInbox(phone)
  await openInbox(bob.page)

  const left = 'Hedy Lamarr'
  const right = 'Radia Perlman'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-touch-left', contactName: left, body: 'Hi there' }),
    incomingSms({ conversationId: 'c-e2e-touch-right', contactName: right, body: 'Hello' }),
  )
  await expect(row(phone, left)).toBeVisible()
  await expect(row(phone, right)).toBeVisible()

  // Swipe left: "Done" is revealed under the finger; lifting it marks the conversation done.
  const lift = await swipe(phone, row(phone, left), -220, false)
  await expect(row(phone, left).getByText('Done', { exact: true })).toBeVisible()
  await screenshot(phone, 'phone-swipe-left')
  await lift()
  await expect(row(phone, left)).toHaveCount(0)
  await expect(row(bob.page, left)).toHaveCount(0)
  const toast = phone.getByText(`Marked ${left} as done`)
  await expect(toast).toBeVisible()

  // The toast's Undo puts it back, on both screens.
  await phone.getByRole('button', { name: 'Undo' }).tap()
  await expect(row(phone, left)).toBeVisible()
  await expect(row(phone, left)).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, left)).toBeVisible()
  await expect(row(bob.page, left)).toHaveAccessibleName(UNREAD)

  // Bob reads the other one; Alice swipes it right: unread again on both screens.
  await row(bob.page, right).click()
  await expect(threadTitle(bob.page, right)).toBeVisible()
  await expect(row(phone, right)).not.toHaveAccessibleName(UNREAD)
  const liftRight = await swipe(phone, row(phone, right), 220, false)
  await expect(row(phone, right).getByText('Unread', { exact: true })).toBeVisible()
  await liftRight()
  await expect(row(phone, right)).toHaveAccessibleName(UNREAD)
  await expect(phone.getByText(`Marked ${right} as unread`)).toBeVisible()
  await expect(phone.getByRole('button', { name: 'Undo' })).toBeVisible()
  await expect(row(bob.page, right)).toHaveAccessibleName(UNREAD)
  await screenshot(phone, 'phone-after-swipes')

  await alice.context.close()
  await bob.context.close()
})

test('on a phone, notifications can be turned on from the top bar (a bell, named as on a desktop)', async ({
  browser,
}) => {
  const phone = await teammate(browser, relay, 'alice@example.com', { ...devices['Pixel 7'] })
  const page = phone.page
  await openInbox(page)
  const bell = page.getByRole('button', { name: 'Enable notifications' })
  await expect(bell).toBeVisible()
  const box = await bell.boundingBox()
  expect(box && box.y + box.height).toBeLessThan(120)
  await screenshot(page, 'phone-bell')
  // Once the browser has answered (granted here), the button has done its job and goes.
  await phone.context.grantPermissions(['notifications'])
  await bell.click()
  await expect(bell).toBeHidden()
  expect(await page.evaluate(() => Notification.permission)).toBe('granted')
  await phone.context.close()
})
