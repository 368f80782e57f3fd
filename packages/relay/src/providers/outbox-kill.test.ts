/**
 * [O4] The relay as operators run it (`tsx src/main.ts`), SIGKILLed while Twilio holds a reply's
 * request: restarted on the same DATA_DIR it loses no reply and never posts it twice — the look-up
 * at the fake Twilio finds the message, and the reply shows Sent on a teammate's replica.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deliveryOf } from '@switchboard/core'
import { afterEach, describe, expect, it } from 'vitest'
import { connectProvider, until } from '../test-helpers.ts'
import { spawnRelayProcess } from '../testing/index.ts'
import { startFakeProvider, type FakeProvider } from './fake-provider.ts'
import { twilioRequest } from './fixtures/sign.ts'
import * as tw from './fixtures/twilio-send.ts'
import { providerConversationId } from './provider-activity.ts'
import { TWILIO } from './test-credentials.ts'

const PUBLIC_URL = 'https://relay.example.com'
const NUMBER = '+14155550100'
const CONTACT = '+14155550199'
const children: ChildProcess[] = []
const fakes: FakeProvider[] = []
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const f of fakes.splice(0)) await f.close()
})

const startRelay = (dataDir: string, twilioBase: string) =>
  spawnRelayProcess(
    {
      DATA_DIR: dataDir,
      SWITCHBOARD_DEMO_PASSWORD: 'demo-password',
      PUBLIC_URL,
      TWILIO_API_BASE: twilioBase,
    },
    { onSpawn: (child) => children.push(child) },
  )

async function call(url: string, path: string, token: string | null, body: unknown) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

describe('[O4] the relay killed mid-send', () => {
  it('[O4] SIGKILL while Twilio holds the request: after a restart the reply is Sent once, found by the look-up', async () => {
    const fake = await startFakeProvider(() => 'hold')
    fakes.push(fake)
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-outbox-kill-'))
    const first = await startRelay(dataDir, fake.url)
    const token = (
      await call(first.url, '/api/login', null, {
        email: 'bob@example.com',
        password: 'demo-password',
      })
    ).json.token as string
    const connected = await call(first.url, '/api/admin/phone-numbers', token, {
      name: 'Desk',
      number: NUMBER,
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(connected.status).toBe(201)
    const id = connected.json.id as string
    expect(
      (await call(first.url, '/api/admin/access', token, { memberId: 'bob', phoneNumberId: id }))
        .status,
    ).toBe(200)
    // An SMS in, signed as Twilio signs it, opens the conversation to reply to.
    const path = `/api/webhooks/twilio/${id}`
    const sms = {
      MessageSid: 'SM' + 'a'.repeat(32),
      AccountSid: TWILIO.accountSid,
      From: CONTACT,
      To: NUMBER,
      Body: 'Open today?',
      NumMedia: '0',
    }
    const req = twilioRequest(TWILIO.authToken, PUBLIC_URL + path, sms)
    expect(
      (await fetch(first.url + path, { method: 'POST', headers: req.headers, body: req.body }))
        .status,
    ).toBe(200)
    const conversationId = providerConversationId(id, CONTACT)
    const out = await call(first.url, '/api/outgoing', token, {
      conversationId,
      phoneNumberId: id,
      body: 'Until six',
    })
    expect(out.status).toBe(202)
    const activityId = out.json.activityId as string
    await until(() => fake.requests.some((q) => q.method === 'POST'), 'the send at Twilio')
    first.child.kill('SIGKILL')
    await first.exited

    fake.answer = (q) =>
      q.method === 'GET'
        ? {
            status: 200,
            body: tw.messageList([tw.createdMessage('SM0200', NUMBER, CONTACT, 'Until six')]),
          }
        : { status: 201, body: tw.createdMessage('SM0201', NUMBER, CONTACT, 'Until six') }
    const second = await startRelay(dataDir, fake.url)
    const again = (
      await call(second.url, '/api/login', null, {
        email: 'bob@example.com',
        password: 'demo-password',
      })
    ).json.token as string
    const c = connectProvider(
      second.url.replace('http', 'ws') + '/sync',
      `conversation:${conversationId}`,
      again,
    )
    await c.synced
    await until(() => deliveryOf(c.doc, activityId)?.state === 'sent', 'Sent on a replica', 15_000)
    expect(deliveryOf(c.doc, activityId)).toMatchObject({ attempt: 1, providerMessageId: 'SM0200' })
    expect(fake.requests.filter((q) => q.method === 'POST')).toHaveLength(1)
    c.destroy()
  }, 60_000)
})
