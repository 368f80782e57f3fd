// Issue 22, outgoing: a number connected through Twilio (a fake Twilio API on 127.0.0.1). A signed
// SMS opens a conversation live; a reply typed in the browser reaches Twilio as a Messages.json
// POST; Twilio's signed status callback turns it "Delivered" on a teammate's screen; and while
// Twilio answers 503 the reply waits in the relay's outbox and goes out exactly once afterwards.
import { expect, test, type Page } from '@playwright/test'
import { login, phoneNumberLink, row, screenshot, teammate, threadTitle } from '../support/app.ts'
import {
  TWILIO_ACCOUNT,
  startFakeTwilio,
  twilioWebhook,
  type FakeTwilio,
  type MessagePost,
} from '../support/fake-twilio.ts'
import { startRelay, type RelayProcess } from '../support/relay.ts'

const LINE = { name: 'Outbox Line', number: '+14155550177' }
const CONTACT = '+14155557001'
/** How the app names that contact: its number, read nationally in this North American workspace. */
const CONTACT_SHOWN = '(415) 555-7001'

let twilio: FakeTwilio
let relay: RelayProcess
/** The connected number: its id and the URL Twilio's webhooks go to. */
let line: { id: string; webhookUrl: string }

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  twilio = await startFakeTwilio()
  // PUBLIC_URL is the relay's own address here: Twilio signs over the URL it calls.
  relay = await startRelay((url) => ({ TWILIO_API_BASE: twilio.url, PUBLIC_URL: url }))

  // Alice (the demo owner) connects the number through the admin API, then shares it.
  const token = await login(relay, 'alice@example.com')
  const admin = (path: string, body: unknown) =>
    fetch(`${relay.url}/api/admin/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })
  const res = await admin('phone-numbers', {
    ...LINE,
    provider: 'twilio',
    credentials: TWILIO_ACCOUNT,
  })
  expect(res.status, await res.clone().text()).toBe(201)
  line = (await res.json()) as { id: string; webhookUrl: string }
  expect(line.webhookUrl).toBe(`${relay.url}/api/webhooks/twilio/${line.id}`)
  for (const memberId of ['alice', 'bob']) {
    const granted = await admin('access', { memberId, phoneNumberId: line.id })
    expect(granted.status, await granted.clone().text()).toBe(200)
  }
})

test.afterAll(async () => {
  await relay?.stop()
  await twilio?.close()
})

const linePn = () => ({ id: line.id, ...LINE })

async function openLine(page: Page): Promise<void> {
  await phoneNumberLink(page, linePn()).click()
  await expect(page.getByRole('heading', { level: 1, name: LINE.name })).toBeVisible()
}

/** An SMS from the contact, as Twilio posts it (https://www.twilio.com/docs/messaging/guides/webhook-request). */
function incomingSms(body: string) {
  const sid = 'SM' + Date.now().toString(16).padStart(32, '0')
  return twilioWebhook(line.webhookUrl, {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: body,
    FromCountry: 'US',
    To: LINE.number,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: TWILIO_ACCOUNT.accountSid,
    From: CONTACT,
    ApiVersion: '2010-04-01',
  })
}

/**
 * Twilio's status callback for a message it took
 * (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status), sent to the
 * StatusCallback the relay gave with the message, or the number's status URL.
 */
function statusCallback(post: MessagePost, status: 'sent' | 'delivered') {
  const url = post.params.StatusCallback ?? `${line.webhookUrl}/status`
  return twilioWebhook(url, {
    AccountSid: TWILIO_ACCOUNT.accountSid,
    ApiVersion: '2010-04-01',
    From: LINE.number,
    To: CONTACT,
    MessageSid: post.sid!,
    MessageStatus: status,
    SmsSid: post.sid!,
    SmsStatus: status,
  })
}

/** The Messages.json POSTs carrying `body`. */
const postsOf = (body: string) => twilio.posts.filter((p) => p.params.Body === body)
const accepted = (body: string) => postsOf(body).filter((p) => p.answered === 201)

/** The thread's list item of the reply `body`, where its delivery shows. */
function reply(page: Page, body: string) {
  return page.getByRole('log').getByRole('listitem').filter({ hasText: body })
}

async function sendReply(page: Page, body: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Reply' }).fill(body)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(page.getByRole('textbox', { name: 'Reply' })).toHaveValue('')
}

test('an SMS in appears live; a reply goes out through Twilio and turns Delivered on a teammate’s screen', async ({
  browser,
}) => {
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  await openLine(alice.page)
  await openLine(bob.page)

  const res = await incomingSms('Hi, is my order on its way?')
  expect(res.status, await res.clone().text()).toBe(200)
  await expect(row(alice.page, CONTACT_SHOWN)).toBeVisible()
  await expect(row(bob.page, CONTACT_SHOWN)).toBeVisible()

  await row(alice.page, CONTACT_SHOWN).click()
  await expect(threadTitle(alice.page, CONTACT_SHOWN)).toBeVisible()
  await row(bob.page, CONTACT_SHOWN).click()
  await expect(threadTitle(bob.page, CONTACT_SHOWN)).toBeVisible()

  // The relay writes Twilio's limit into the number: a longer reply is refused before sending.
  const tooLong = 'x'.repeat(1601)
  await alice.page.getByRole('textbox', { name: 'Reply' }).fill(tooLong)
  await alice.page.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(
    alice.page.getByRole('alert').filter({ hasText: '1,600 characters at most for this number' }),
  ).toBeVisible()
  expect(postsOf(tooLong)).toEqual([])

  const body = 'Yes, it left the warehouse this morning.'
  await sendReply(alice.page, body)
  await expect.poll(() => accepted(body).length).toBe(1)
  const [post] = accepted(body)
  expect(post!.authorized).toBe(true)
  expect(post!.params).toMatchObject({ To: CONTACT, From: LINE.number, Body: body })

  // Twilio took it: Sent on both screens; its callback then says delivered.
  await expect(reply(bob.page, body).getByText('Sent', { exact: true })).toBeVisible()
  const callback = await statusCallback(post!, 'delivered')
  expect(callback.status, await callback.clone().text()).toBeLessThan(300)
  await expect(reply(bob.page, body).getByText('Delivered', { exact: true })).toBeVisible()
  await expect(reply(alice.page, body).getByText('Delivered', { exact: true })).toBeVisible()
  // A late "sent" after "delivered" changes nothing.
  await statusCallback(post!, 'sent')
  await expect(reply(bob.page, body).getByText('Delivered', { exact: true })).toBeVisible()
  await screenshot(bob.page, 'bob-sees-delivered')
  expect(postsOf(body)).toHaveLength(1)

  await alice.context.close()
  await bob.context.close()
})

test('while Twilio answers 503 the reply stays Sending; it goes out exactly once afterwards', async ({
  browser,
}) => {
  test.setTimeout(240_000)
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  for (const page of [alice.page, bob.page]) {
    await openLine(page)
    await row(page, CONTACT_SHOWN).click()
    await expect(threadTitle(page, CONTACT_SHOWN)).toBeVisible()
  }

  const outageEnds = Date.now() + 30_000
  twilio.unavailableUntil(outageEnds)
  const body = 'Sorry for the wait, a courier is on the way.'
  await sendReply(alice.page, body)
  await expect(reply(alice.page, body).getByText('Sending', { exact: true })).toBeVisible()
  await expect(reply(bob.page, body).getByText('Sending', { exact: true })).toBeVisible()
  // The relay tried and was refused; nothing went out.
  await expect.poll(() => postsOf(body).length, { timeout: 30_000 }).toBeGreaterThan(0)
  expect(accepted(body)).toHaveLength(0)

  // After the outage the outbox sends it: once.
  await expect.poll(() => accepted(body).length, { timeout: 150_000, intervals: [1_000] }).toBe(1)
  const [post] = accepted(body)
  expect(post!.at).toBeGreaterThanOrEqual(outageEnds)
  expect(postsOf(body).filter((p) => p.answered !== 503)).toEqual([post])
  await expect(reply(bob.page, body).getByText('Sent', { exact: true })).toBeVisible()
  const callback = await statusCallback(post!, 'delivered')
  expect(callback.status, await callback.clone().text()).toBeLessThan(300)
  await expect(reply(bob.page, body).getByText('Delivered', { exact: true })).toBeVisible()
  // Nothing is sent again once Twilio took it.
  await bob.page.waitForTimeout(5_000)
  expect(accepted(body)).toHaveLength(1)
  expect(postsOf(body).filter((p) => p.at > post!.at)).toEqual([])
  await screenshot(bob.page, 'bob-sees-delivered-after-outage')

  await alice.context.close()
  await bob.context.close()
})
