import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRelayEnv } from './node/env.ts'
import { connectProvider, rawSocket, startTestRelay, type TestRelay } from './test-helpers.ts'

const OTHER = 'https://relay-b.example.com'
const THIRD = 'http://10.0.0.3:8787'

let relay: TestRelay
let token: string
beforeAll(async () => {
  relay = await startTestRelay({
    allowedOrigins: ['http://app.example'],
    relayUrls: ['https://relay-a.example.com', `${OTHER}/`, THIRD],
  })
  token = await relay.login('alice@example.com')
})
afterAll(() => relay.close())

describe('a relay of several (RELAY_PUBLIC_URLS)', () => {
  it('GET /api/relays lists every relay without a sign-in, for the web app to move between', async () => {
    const res = await fetch(`${relay.url}/api/relays`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      relays: ['https://relay-a.example.com', OTHER, THIRD],
    })
  })

  it('one relay: the list is empty', async () => {
    const single = await startTestRelay()
    try {
      expect(await (await fetch(`${single.url}/api/relays`)).json()).toEqual({ relays: [] })
    } finally {
      await single.close()
    }
  })

  it('a page served by another listed relay may open sockets here; an unlisted origin still may not', async () => {
    const listed = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${token}`, { origin: OTHER })
    await listed.opened
    listed.ws.close()
    const evil = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${token}`, {
      origin: 'https://relay-b.example.com.evil.example',
    })
    await expect(evil.opened).rejects.toThrow(/HTTP 403/)
    const path = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${token}`, {
      origin: 'http://10.0.0.3',
    })
    await expect(path.opened).rejects.toThrow(/HTTP 403/)
  })

  it('CORS answers the listed relays and ALLOWED_ORIGINS, never another origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${relay.url}/api/me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      })
    for (const origin of [OTHER, THIRD, 'http://app.example'])
      expect((await preflight(origin)).headers.get('access-control-allow-origin')).toBe(origin)
    const evil = await preflight('https://evil.example')
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
  })

  it("the app's pages may connect to the listed relays (CSP connect-src), over http(s) and ws(s)", async () => {
    const csp = (await fetch(`${relay.url}/api/relays`)).headers.get('content-security-policy')!
    const connect = csp.split('; ').find((d) => d.startsWith('connect-src '))!
    expect(connect.split(' ')).toEqual(
      expect.arrayContaining([
        "'self'",
        OTHER,
        'wss://relay-b.example.com',
        THIRD,
        'ws://10.0.0.3:8787',
      ]),
    )
    expect(connect).not.toContain('evil')
  })

  it('an unmodified y-websocket provider still syncs with a relay of several', async () => {
    const c = connectProvider(relay.wsUrl, 'inbox:pn-a', token)
    await c.synced
    c.destroy()
  })

  it('RELAY_PUBLIC_URLS is read as a list of base URLs; a bad one stops the start naming it', () => {
    const env = { RELAY_PUBLIC_URLS: ' https://a.example/ , http://10.0.0.2:8787 ' }
    expect(readRelayEnv(env, ['RELAY_PUBLIC_URLS'])).toEqual({
      RELAY_PUBLIC_URLS: ['https://a.example', 'http://10.0.0.2:8787'],
    })
    expect(readRelayEnv({}, ['RELAY_PUBLIC_URLS'])).toEqual({ RELAY_PUBLIC_URLS: undefined })
    expect(() => readRelayEnv({ RELAY_PUBLIC_URLS: 'https://a.example,b.example' })).toThrow(
      /RELAY_PUBLIC_URLS must be an http\(s\) URL.*got 'b.example'/,
    )
  })
})
