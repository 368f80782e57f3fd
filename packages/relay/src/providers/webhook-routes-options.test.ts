import { describe, expect, it } from 'vitest'
import type { Activity } from '@switchboard/core'
import { providerWebhookRoutes } from '../routes/provider-webhooks.ts'
import { startTestRelay } from '../test-helpers.ts'
import type { ProviderAccounts } from './provider-account.ts'
import { twilioRequest } from './fixtures/sign.ts'
import * as twilio from './fixtures/twilio.ts'

const TOKEN = 'twilio-auth-token'
const accounts: ProviderAccounts = {
  get: (id) =>
    id === 'pn-a'
      ? {
          phoneNumberId: 'pn-a',
          number: '+14155550142',
          provider: 'twilio',
          credentials: { accountSid: 'AC1', authToken: TOKEN },
        }
      : null,
}

describe('provider webhook routes', () => {
  it('[W1] a relay without provider accounts answers 404 to every provider webhook', async () => {
    const bare = await startTestRelay()
    try {
      for (const provider of ['twilio', 'telnyx', 'quo']) {
        const res = await fetch(`${bare.url}/api/webhooks/${provider}/pn-a`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
        expect(res.status).toBe(404)
      }
    } finally {
      await bare.close()
    }
  })

  it('[W3] Twilio is checked against PUBLIC_URL + path + query when the relay sits behind a proxy', async () => {
    const ingested: Activity[] = []
    const app = providerWebhookRoutes({
      accounts,
      ingest: async (a) => {
        ingested.push(a)
        return { created: true, duplicate: false, reopened: false }
      },
      publicUrl: 'https://inbox.example.com/',
      maxBodyBytes: 64 * 1024,
    })
    const params = { ...twilio.incomingMessage, MessageSid: 'SMproxy' }
    const signed = twilioRequest(TOKEN, 'https://inbox.example.com/twilio/pn-a?x=1', params)
    const res = await app.request('http://127.0.0.1:8787/twilio/pn-a?x=1', {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
    })
    expect(res.status).toBe(200)
    expect(ingested.map((a) => a.id)).toEqual(['twilio-msg-SMproxy'])
    const local = twilioRequest(TOKEN, 'http://127.0.0.1:8787/twilio/pn-a?x=1', params)
    const refused = await app.request('http://127.0.0.1:8787/twilio/pn-a?x=1', {
      method: 'POST',
      headers: local.headers,
      body: local.body,
    })
    expect(refused.status).toBe(403)
  })
})
