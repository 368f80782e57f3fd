/**
 * The whole way in for a number connected from a provider: an admin connects it through the admin
 * API, and the provider's webhook, signed with the credentials given there and sent to the
 * `webhookUrl` the answer named, lands in that number's inbox (real HTTP, a real SQLite store).
 */
import { describe, expect, it } from 'vitest'
import { getConversation } from '@switchboard/core'
import * as twilio from '../providers/fixtures/twilio.ts'
import { twilioRequest } from '../providers/fixtures/sign.ts'
import { providerConversationId } from '../providers/provider-activity.ts'
import { TWILIO } from '../providers/test-credentials.ts'
import { connectProvider, until } from '../test-helpers.ts'
import { connect, phoneNumbersFixture } from './phone-numbers-fixture.ts'

const { start } = phoneNumbersFixture()
const NUMBER = twilio.incomingMessage.To

async function connectTwilio(r: Parameters<typeof connect>[0], bob: string) {
  const res = await connect(r, bob, {
    name: 'Front desk',
    number: NUMBER,
    provider: 'twilio',
    credentials: TWILIO,
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string; webhookUrl: string }
}

describe('[K8][W1][W3] a number connected through the admin API takes its provider webhooks', () => {
  it("[K8][W5] a Twilio SMS signed with the connected credentials, sent to the answer's webhookUrl, opens a conversation in that number's inbox", async () => {
    const { r, alice, bob } = await start()
    const { id, webhookUrl } = await connectTwilio(r, bob)
    // Without PUBLIC_URL the webhook URL is the origin the admin used: here, the relay itself.
    expect(webhookUrl).toBe(`${r.url}/api/webhooks/twilio/${id}`)
    await r.relay.admin.grant('alice', id)
    const client = connectProvider(r.wsUrl, `inbox:${id}`, alice)
    await client.synced
    const req = twilioRequest(TWILIO.authToken, webhookUrl, twilio.incomingMessage)
    const res = await fetch(webhookUrl, { method: 'POST', headers: req.headers, body: req.body })
    expect(res.status).toBe(200)
    const conversationId = providerConversationId(id, twilio.incomingMessage.From)
    await until(() => getConversation(client.doc, conversationId) !== null, 'the conversation')
    expect(getConversation(client.doc, conversationId)).toMatchObject({
      status: 'open',
      unread: true,
    })
    client.destroy()
  })

  it('[W3] with PUBLIC_URL set, the signature covers the public URL: signed over it the webhook is taken, signed over the address it reached is 403', async () => {
    const publicUrl = 'https://inbox.example.com/sb'
    const { r, bob } = await start({ publicUrl })
    const { id, webhookUrl } = await connectTwilio(r, bob)
    expect(webhookUrl).toBe(`${publicUrl}/api/webhooks/twilio/${id}`)
    // A proxy forwards the public URL's requests to the relay's own address.
    const local = `${r.url}/api/webhooks/twilio/${id}`
    const asPublic = twilioRequest(TWILIO.authToken, webhookUrl, twilio.incomingMessage)
    const asLocal = twilioRequest(TWILIO.authToken, local, twilio.incomingMessage)
    const post = (req: typeof asLocal) =>
      fetch(local, { method: 'POST', headers: req.headers, body: req.body })
    expect((await post(asLocal)).status).toBe(403)
    expect((await post(asPublic)).status).toBe(200)
    const conversationId = providerConversationId(id, twilio.incomingMessage.From)
    expect(r.storage.getConversationPhoneNumber(conversationId)).toBe(id)
  })
})
