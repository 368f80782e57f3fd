import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main, type RelayServer } from '../main.ts'
import { twilioRequest } from '../providers/fixtures/sign.ts'
import * as twilio from '../providers/fixtures/twilio.ts'
import { until } from '../test-helpers.ts'

const PUBLIC_URL = 'https://relay.example.com'
const TOKEN = 'twilio-auth-token'
const SID = 'AC' + '0123456789abcdef'.repeat(2)

let srv: RelayServer | undefined
afterAll(() => srv?.close())

const twilioPost = (base: string, id: string, params: Record<string, string>) => {
  const path = `/api/webhooks/twilio/${id}`
  const req = twilioRequest(TOKEN, PUBLIC_URL + path, params)
  return fetch(base + path, { method: 'POST', headers: req.headers, body: req.body })
}

describe("WEBHOOK_PORT: the listener's thread comes back", () => {
  it('[W6] a listener thread that dies is started again on its port and takes webhooks in once', async () => {
    srv = await main({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'webhook-listener-restart-')),
      PORT: '0',
      WEBHOOK_PORT: '0',
      DEMO: '0',
      PUBLIC_URL,
    })
    const listener = srv.webhooks!
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Front desk',
      number: twilio.incomingMessage.To,
      provider: 'twilio',
      credentials: { accountSid: SID, authToken: TOKEN },
    })
    const sms = (sid: string) => ({ ...twilio.incomingMessage, MessageSid: sid })
    expect((await twilioPost(listener.url, pn.id, sms('SMbefore'))).status).toBe(200)

    const dead = listener.thread()
    await dead.terminate()
    await until(() => listener.restarts === 1, 'the thread started again')
    expect(listener.thread()).not.toBe(dead)

    // Same port; the new thread got the numbers; the first delivery's retry is still a duplicate.
    const retry = await twilioPost(listener.url, pn.id, sms('SMbefore'))
    expect(retry.status).toBe(200)
    expect((await twilioPost(listener.url, pn.id, sms('SMafter'))).status).toBe(200)
    expect(srv.relay.storage.hasActivity('twilio-msg-SMafter')).toBe(true)
    await until(
      () => srv!.relay.metrics.webhookDuplicates.get('twilio') === 1,
      'the retry counted once, as a duplicate',
    )
  })
})
