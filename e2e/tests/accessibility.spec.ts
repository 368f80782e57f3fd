// Issue 24 (accessibility and polish): axe-core finds no serious or critical violation on the
// sign-in, inbox, conversation, settings and Team pages, in the light and the dark scheme; the
// landmarks, skip link and focus after sign-in work; numbers read in the workspace's region; the
// Team page is in the viewer's time zone; on a phone Enter adds a line.
import AxeBuilder from '@axe-core/playwright'
import { devices, expect, test, type Page } from '@playwright/test'
import {
  SUPPORT,
  conversations,
  deliver,
  incomingSms,
  phoneNumberLink,
  row,
  teammate,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'
import { DEMO_PASSWORD } from '../support/relay.ts'

const relay = relayPerFile()

/** axe's serious and critical findings on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`)
          .join(' | ')}`,
    )
}

async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await seriousViolations(page), where).toEqual([])
}

// Each scheme in a time zone of its own: the Team page follows the viewer's zone, never UTC.
const schemes = [
  { colorScheme: 'light', timezoneId: 'America/Los_Angeles' },
  { colorScheme: 'dark', timezoneId: 'Asia/Tokyo' },
] as const

for (const { colorScheme, timezoneId } of schemes) {
  test(`no serious or critical axe violation on each page, ${colorScheme}`, async ({ browser }) => {
    const context = await browser.newContext({ baseURL: relay.url, colorScheme, timezoneId })
    const page = await context.newPage()

    await page.goto('/')
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
    await expectAccessible(page, `sign-in, ${colorScheme}`)

    // Signing in lands on the first number's inbox with focus in the list; its first row is
    // selected, and the pane names it rather than saying "Select a conversation".
    await page.getByLabel('Email').fill('alice@example.com')
    await page.getByLabel('Password').fill(DEMO_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(conversations(page).getByRole('option').first()).toBeVisible()
    await expect(conversations(page)).toBeFocused()
    const first = conversations(page).getByRole('option', { selected: true })
    await expect(first).toHaveAttribute('aria-posinset', '1')
    const name = (await first.locator('.name').textContent()) ?? ''
    await expect(page.getByRole('main')).toContainText(`${name} is selected`)
    await expect(page.getByRole('main')).not.toContainText('Select a conversation')
    await expect(phoneNumberLink(page, SUPPORT)).toContainText('(415) 555-0142')
    await expectAccessible(page, `inbox, ${colorScheme}`)

    // The skip link is the page's first stop and lands in the list.
    await page.getByRole('link', { name: 'Skip to conversations' }).focus()
    await page.keyboard.press('Enter')
    await expect(conversations(page)).toBeFocused()

    await page.keyboard.press('Enter')
    await expect(threadTitle(page, name)).toBeVisible()
    await expectAccessible(page, `conversation, ${colorScheme}`)

    await page.getByRole('link', { name: 'Settings' }).click()
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible()
    await expect(page.getByRole('region', { name: 'Phone numbers' })).toBeVisible()
    await expectAccessible(page, `settings, ${colorScheme}`)

    await page.getByRole('link', { name: 'Team figures' }).click()
    await expect(page.getByRole('heading', { level: 1, name: 'Team figures' })).toBeVisible()
    await expect(page.getByRole('heading', { name: 'Weekly review' })).toBeVisible()
    await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeAttached()
    await expect(page.getByText(`Times in ${timezoneId}.`)).toBeVisible()
    // The review lists name conversations by contact or number, never by their ids ("c-…").
    const review = page.getByRole('region', { name: 'Weekly review' })
    await expect(review.getByRole('link', { name: /^c-/ })).toHaveCount(0)
    await expectAccessible(page, `Team, ${colorScheme}`)

    await context.close()
  })
}

test('on a phone, Enter adds a line to a reply and the Send button sends it', async ({
  browser,
}) => {
  const contact = 'Mary Jackson'
  await deliver(
    relay,
    incomingSms({ conversationId: 'c-e2e-a11y-phone', contactName: contact, body: 'Hello?' }),
  )
  const phone = await teammate(browser, relay, 'alice@example.com', { ...devices['Pixel 7'] })
  const page = phone.page
  await phoneNumberLink(page).tap()
  await row(page, contact).tap()
  await expect(threadTitle(page, contact)).toBeVisible()

  const reply = page.getByRole('textbox', { name: 'Reply' })
  await reply.tap()
  await page.keyboard.type('First line')
  await page.keyboard.press('Enter')
  await page.keyboard.type('second line')
  await expect(reply).toHaveValue('First line\nsecond line')
  await page.getByRole('button', { name: 'Send', exact: true }).tap()
  await expect(reply).toHaveValue('')
  await expect(
    page.getByRole('log', { name: `Conversation with ${contact}` }).getByText('second line'),
  ).toBeVisible()

  await phone.context.close()
})
