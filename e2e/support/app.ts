// Talks to the web app the way a person does — by accessible names (apps/web, issue 5) — and to
// the relay the way a telephony provider does (signed webhooks). Imports no workspace package.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { DEMO_PASSWORD, startRelay, type RelayProcess } from './relay.ts'

export interface PhoneNumber {
  id: string
  name: string
  number: string
}

/** The demo seed's phone numbers (packages/relay/src/demo.ts); alice and bob both see Support. */
export const SUPPORT: PhoneNumber = { id: 'pn-support', name: 'Support', number: '+14155550142' }

export const SALES: PhoneNumber = { id: 'pn-sales', name: 'Sales', number: '+14155550100' }
export const FRONT_DESK: PhoneNumber = {
  id: 'pn-frontdesk',
  name: 'Front Desk',
  number: '+14155550199',
}

export const NAMES = { alice: 'Alice Martin', bob: 'Bob Nguyen' }

export interface Teammate {
  context: BrowserContext
  page: Page
}

/** A fresh browser profile (its own IndexedDB, localStorage and service worker), signed in. */
export async function teammate(
  browser: Browser,
  relay: RelayProcess,
  email: string,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<Teammate> {
  const context = await browser.newContext({ baseURL: relay.url, ...options })
  const page = await context.newPage()
  await signIn(page, email)
  return { context, page }
}

/**
 * One fresh relay for the spec file that calls this at its top level: started before its tests,
 * stopped after them. The returned handle forwards to that relay once it is running.
 */
export function relayPerFile(env: Record<string, string> = {}): RelayProcess {
  let current: RelayProcess | null = null
  test.beforeAll(async () => {
    current = await startRelay(env)
  })
  test.afterAll(async () => {
    await current?.stop()
  })
  return new Proxy({} as RelayProcess, {
    get(_target, key) {
      if (!current) throw new Error('relayPerFile: the relay starts in beforeAll; use it in a test')
      const value = current[key as keyof RelayProcess]
      return typeof value === 'function' ? value.bind(current) : value
    },
  })
}

/** Alice and Bob, each in their own browser profile, signed in and looking at the Support inbox. */
export async function aliceAndBob(
  browser: Browser,
  relay: RelayProcess,
): Promise<{ alice: Teammate; bob: Teammate }> {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  await openInbox(alice.page)
  await openInbox(bob.page)
  return { alice, bob }
}

/** A bearer token from `POST /api/login`, for what a person does outside the web app (admin CLI). */
export async function login(relay: RelayProcess, email: string): Promise<string> {
  const res = await fetch(`${relay.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('navigation', { name: 'Phone numbers' })).toBeVisible()
}

/** The sidebar link of a phone number; its name is "<name> (<number>), <n> unread". */
export function phoneNumberLink(page: Page, pn: PhoneNumber = SUPPORT) {
  return page
    .getByRole('navigation', { name: 'Phone numbers' })
    .getByRole('link', { name: `${pn.name} (${pn.number})` })
}

/** The unread badge of a phone number, read from its link's accessible name. */
export async function unreadBadge(page: Page, pn: PhoneNumber = SUPPORT): Promise<number> {
  // Until the inbox is read from IndexedDB the link says "unread count loading", not a count.
  await expect(phoneNumberLink(page, pn)).toHaveAttribute('aria-label', /, \d+ unread$/)
  const name = (await phoneNumberLink(page, pn).getAttribute('aria-label')) ?? ''
  const match = /, (\d+) unread$/.exec(name)
  if (!match) throw new Error(`no unread count in the link name "${name}"`)
  return Number(match[1])
}

/** Opens a phone number's inbox from the sidebar and waits for its list. */
export async function openInbox(page: Page, pn: PhoneNumber = SUPPORT): Promise<void> {
  await phoneNumberLink(page, pn).click()
  await expect(page.getByRole('heading', { level: 1, name: pn.name })).toBeVisible()
  await expect(conversations(page).getByRole('option').first()).toBeVisible()
}

export function conversations(page: Page) {
  return page.getByRole('listbox', { name: 'Conversations' })
}

/** The list row of a conversation, by its contact's name (unique per test). */
export function row(page: Page, contactName: string) {
  return conversations(page).getByRole('option', { name: contactName })
}

/** Opens a view tab ("Open", "Unread", "Done") and waits until it is selected. */
export async function showView(page: Page, name: 'Open' | 'Unread' | 'Done'): Promise<void> {
  const tab = page.getByRole('tablist', { name: 'Views' }).getByRole('tab', { name, exact: true })
  await tab.click()
  await expect(tab).toHaveAttribute('aria-selected', 'true')
}

/** The always-visible connection status region ("Online · All changes synced"). */
export function connection(page: Page) {
  return page.getByRole('status', { name: 'Connection' })
}

/** The opened conversation's header: title, state line, merge explanation, actions toolbar. */
export function threadHeader(page: Page) {
  return page.locator('header', { has: actions(page) })
}

export function threadTitle(page: Page, contactName: string) {
  return threadHeader(page).getByRole('heading', { level: 2, name: contactName })
}

export function actions(page: Page) {
  return page.getByRole('toolbar', { name: 'Conversation actions' })
}

/** Finds a conversation with `/` search, then marks the selected one done with `E`. */
export async function markDoneByKeyboard(page: Page, contact: string): Promise<void> {
  await conversations(page).focus()
  await page.keyboard.press('/')
  const search = page.getByRole('searchbox', { name: 'Search conversations' })
  await expect(search).toBeFocused()
  await search.fill(contact)
  await expect(conversations(page).getByRole('option')).toHaveCount(1)
  await search.press('Enter')
  await expect(row(page, contact)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('e')
  await expect(row(page, contact)).toHaveCount(0)
}

/** A row's unread dot is announced as ", unread" at the end of its accessible name. */
export const UNREAD = /, unread\b/

let sequence = 0

/** A new incoming SMS from an outside contact, as the telephony provider's webhook carries it. */
export function incomingSms(options: {
  conversationId: string
  contactName: string
  body: string
  from?: string
  phoneNumber?: { id: string; number: string }
  at?: number
}) {
  sequence++
  const pn = options.phoneNumber ?? SUPPORT
  return {
    id: `${options.conversationId}-e2e-${Date.now()}-${sequence}`,
    conversationId: options.conversationId,
    phoneNumberId: pn.id,
    direction: 'incoming',
    kind: 'message',
    from: options.from ?? contactNumber(options.conversationId),
    to: pn.number,
    body: options.body,
    at: options.at ?? Date.now(),
    contactName: options.contactName,
  }
}

/** A stable outside number per conversation: +1 415 555 1xxx. */
export function contactNumber(conversationId: string): string {
  let h = 0
  for (const ch of conversationId) h = (h * 31 + ch.charCodeAt(0)) % 1000
  return `+14155551${String(h).padStart(3, '0')}`
}

/** Sends activities through the signed webhook and checks the relay accepted them. */
export async function deliver(relay: RelayProcess, ...activities: unknown[]): Promise<void> {
  const res = await relay.webhook(activities)
  expect(res.status, await res.clone().text()).toBe(202)
}

/** Saves a full-page screenshot into the test's output folder. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true })
}
