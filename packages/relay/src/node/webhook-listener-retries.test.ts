import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { listActivities, type Activity } from '@switchboard/core'
import { main, type RelayServer } from '../main.ts'
import { telnyxHeaders, telnyxKeys, twilioRequest } from '../providers/fixtures/sign.ts'
import * as telnyx from '../providers/fixtures/telnyx.ts'
import * as twilio from '../providers/fixtures/twilio.ts'
import { providerConversationId } from '../providers/provider-activity.ts'
import { confirmedIds } from './confirmed-ids.ts'

const PUBLIC_URL = 'https://relay.example.com'
const TOKEN = 'twilio-auth-token'
const SID = 'AC' + '0123456789abcdef'.repeat(2)
const keys = telnyxKeys()
const DATA_DIR = mkdtempSync(join(tmpdir(), 'webhook-listener-retries-'))

const started: RelayServer[] = []
afterAll(async () => {
  for (const s of started) await s.close()
})
const start = async () => {
  const srv = await main({ DATA_DIR, PORT: '0', WEBHOOK_PORT: '0', DEMO: '0', PUBLIC_URL })
  started.push(srv)
  return srv
}

/** Counts the activity ids the relay's main thread is asked to ingest (it still ingests them). */
const askedOf = (srv: RelayServer) => {
  const asked: string[] = []
  const host = srv.relay.webhookHost
  const ingest = host.ingest.bind(host)
  host.ingest = (activity) => {
    asked.push(activity.id)
    return ingest(activity)
  }
  return asked
}

const roomActivities = async (srv: RelayServer, conversationId: string): Promise<Activity[]> => {
  const stored = await srv.relay.storage.loadRoom(`conversation:${conversationId}`)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return listActivities(doc)
}

const twilioPost = (base: string, id: string, params: Record<string, string>, token = TOKEN) => {
  const path = `/api/webhooks/twilio/${id}`
  const req = twilioRequest(token, PUBLIC_URL + path, params)
  return fetch(base + path, { method: 'POST', headers: req.headers, body: req.body })
}

describe('[W12] retries answered by the webhook listener', () => {
  let twilioId = ''
  const sms = twilio.incomingMessage
  const activityId = `twilio-msg-${sms.MessageSid}`

  it('[W12][W6][W3] a retry of a confirmed id is answered by the listener, still verified; the first went to the main thread', async () => {
    const srv = await start()
    const hooks = srv.webhooks!.url
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Front desk',
      number: sms.To,
      provider: 'twilio',
      credentials: { accountSid: SID, authToken: TOKEN },
    })
    twilioId = pn.id
    const asked = askedOf(srv)
    const conversationId = providerConversationId(pn.id, sms.From)

    expect((await twilioPost(hooks, pn.id, sms)).status).toBe(200)
    expect(asked).toEqual([activityId])
    expect(srv.relay.storage.hasActivity(activityId)).toBe(true)

    // Retries, in sequence and at once: answered 2xx, none reaches the main thread.
    expect((await twilioPost(hooks, pn.id, sms)).status).toBe(200)
    const together = await Promise.all([1, 2, 3].map(() => twilioPost(hooks, pn.id, sms)))
    expect(together.map((r) => r.status)).toEqual([200, 200, 200])
    expect(asked).toEqual([activityId])
    expect((await roomActivities(srv, conversationId)).map((a) => a.id)).toEqual([activityId])

    // A forged retry of the same id is refused as any forged post [W3].
    expect((await twilioPost(hooks, pn.id, sms, 'not-the-token')).status).toBe(403)
    expect(asked).toEqual([activityId])
  })

  it('[W12][W4] a Telnyx retry answered by the listener says duplicate; a stale one is still refused', async () => {
    const srv = started[0]!
    const hooks = srv.webhooks!.url
    const pn = await srv.relay.admin.createPhoneNumber({
      name: 'Support',
      number: '+14155550100',
      provider: 'telnyx',
      credentials: { apiKey: 'KEY1', publicKey: keys.publicKey },
    })
    const asked = askedOf(srv)
    const body = JSON.stringify(telnyx.messageReceived)
    const post = (at: number) =>
      fetch(`${hooks}/api/webhooks/telnyx/${pn.id}`, {
        method: 'POST',
        headers: telnyxHeaders(keys, body, at),
        body,
      })
    const id = `telnyx-msg-${telnyx.messageReceived.data.payload.id}`
    expect(await (await post(Date.now())).json()).toEqual({ activity: id, duplicate: false })
    expect(await (await post(Date.now())).json()).toEqual({ activity: id, duplicate: true })
    expect((await post(Date.now() - 10 * 60_000)).status).toBe(403)
    expect(asked).toEqual([id])
    started.splice(started.indexOf(srv), 1)
    await srv.close()
  })

  it('[W12][W6] after a restart the main thread decides again: the retry is a duplicate, once in the room', async () => {
    const srv = await start()
    const asked = askedOf(srv)
    const res = await twilioPost(srv.webhooks!.url, twilioId, sms)
    expect(res.status).toBe(200)
    // The new thread had confirmed nothing: the main thread answered, from the store.
    expect(asked).toEqual([activityId])
    const conversationId = providerConversationId(twilioId, sms.From)
    expect((await roomActivities(srv, conversationId)).map((a) => a.id)).toEqual([activityId])
    // A duplicate answer confirms nothing new to the thread: the next retry is asked again.
    expect((await twilioPost(srv.webhooks!.url, twilioId, sms)).status).toBe(200)
    expect(asked).toEqual([activityId, activityId])
  })

  it('[W12] the thread remembers a bounded number of ids, forgetting the oldest first', () => {
    const ids = confirmedIds(2)
    ids.add('a')
    ids.add('b')
    ids.add('a')
    ids.add('c')
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([false, true, true, 2])
  })
})
