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

  it('[A7][W3] a provider webhook answered by the real server carries the security headers and its own type; a repeated signature header is read joined, as Fetch reads it', async () => {
    const served = await startTestRelay({ providerAccounts: accounts })
    try {
      const url = `${served.url}/api/webhooks/twilio/pn-a`
      const signed = twilioRequest(TOKEN, url, { ...twilio.incomingMessage, MessageSid: 'SMhdr' })
      const post = (headers: Record<string, string> | [string, string][]) =>
        fetch(url, { method: 'POST', headers, body: signed.body })
      const ok = await post(signed.headers)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('content-type')).toBe('text/xml')
      const refused = await post([
        ...Object.entries(signed.headers),
        ['x-twilio-signature', signed.headers['x-twilio-signature']!],
      ])
      expect(refused.status).toBe(403)
      expect(refused.headers.get('content-type')).toBe('application/json')
      for (const res of [ok, refused]) {
        expect(res.headers.get('content-security-policy')).toContain(`frame-ancestors 'none'`)
        expect(res.headers.get('x-content-type-options')).toBe('nosniff')
        expect(res.headers.get('x-frame-options')).toBe('DENY')
        expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      }
      const unknown = await fetch(`${served.url}/api/webhooks/twilio/pn-x`, { method: 'POST' })
      expect(unknown.status).toBe(404)
      expect(unknown.headers.get('x-content-type-options')).toBe('nosniff')
    } finally {
      await served.close()
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
