import { sign } from 'hono/jwt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CloseCode } from '@switchboard/protocol'
import {
  SECRET,
  connectProvider,
  incoming,
  rawSocket,
  startTestRelay,
  until,
  type TestRelay,
} from './test-helpers.ts'

let relay: TestRelay
let tokens: Record<string, string>

beforeAll(async () => {
  relay = await startTestRelay({ allowedOrigins: ['http://app.example'] })
  tokens = Object.fromEntries(
    await Promise.all(
      ['alice', 'carol', 'erin', 'vic'].map(async (m) => [
        m,
        await relay.login(`${m}@example.com`),
      ]),
    ),
  )
  expect((await relay.webhook(incoming('c-auth-b', 'pn-b'))).status).toBe(202)
})
afterAll(() => relay.close())

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

/** Opens a socket and expects it to be closed with `code` before any document byte arrives. */
async function refused(path: string, code: number, headers: Record<string, string> = {}) {
  const s = rawSocket(`${relay.wsUrl}/${path}`, headers)
  const closed = await s.closed
  expect(closed.code).toBe(code)
  expect(s.messages).toEqual([])
  return closed
}

describe('[§4 auth] the WebSocket upgrade matrix', () => {
  it('a missing token is refused with 4401 before any document byte', async () => {
    await refused('inbox:pn-a', CloseCode.Unauthorized)
  })

  it('an expired token is refused with 4401', async () => {
    const token = await sign(
      { sub: 'alice', role: 'owner', iat: now() - 7200, exp: now() - 3600 },
      SECRET,
      'HS256',
    )
    expect((await refused(`inbox:pn-a?token=${token}`, CloseCode.Unauthorized)).reason).toMatch(
      /expired/,
    )
  })

  it('a token signed with another key (forged) is refused with 4401', async () => {
    const token = await sign(
      { sub: 'alice', role: 'owner', exp: now() + 600 },
      'not-the-secret',
      'HS256',
    )
    await refused(`inbox:pn-a?token=${token}`, CloseCode.Unauthorized)
  })

  it('an alg:none token is refused with 4401', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', role: 'owner', exp: now() + 600 })}.`
    await refused(`inbox:pn-a?token=${token}`, CloseCode.Unauthorized)
  })

  it('a member without access to the phone number is refused with 4403 (inbox and conversation rooms)', async () => {
    await refused(`inbox:pn-b?token=${tokens.carol}`, CloseCode.Forbidden)
    await refused(`conversation:c-auth-b?token=${tokens.carol}`, CloseCode.Forbidden)
    await refused(`conversation:c-unknown?token=${tokens.alice}`, CloseCode.Forbidden)
    await refused(`nonsense-room?token=${tokens.alice}`, CloseCode.Forbidden)
  })

  it('an Origin outside ALLOWED_ORIGINS is refused at the HTTP upgrade (403)', async () => {
    const s = rawSocket(`${relay.wsUrl}/inbox:pn-a?token=${tokens.alice}`, {
      origin: 'http://evil.example',
    })
    await expect(s.opened).rejects.toThrow(/HTTP 403/)
    expect(relay.relay.metrics.authFailures.get('origin')).toBeGreaterThan(0)
  })

  it('allowed, same-origin and Origin-less (non-browser) clients get in', async () => {
    for (const origin of ['http://app.example', `http://127.0.0.1:${relay.port}`, undefined]) {
      const s = rawSocket(
        `${relay.wsUrl}/inbox:pn-a?token=${tokens.alice}`,
        origin ? { origin } : {},
      )
      await s.opened
      await s.next(() => true)
      s.ws.close()
    }
  })

  it('granted rooms sync: workspace, contacts, inbox and conversation of a granted number', async () => {
    for (const room of ['workspace', 'contacts', 'inbox:pn-b', 'conversation:c-auth-b']) {
      const c = connectProvider(relay.wsUrl, room, tokens.erin!)
      await c.synced
      c.destroy()
    }
  })

  it('revoking access closes that member’s sockets for the number’s rooms with 4403 (within 1 s)', async () => {
    const inbox = connectProvider(relay.wsUrl, 'inbox:pn-b', tokens.erin!)
    const conv = connectProvider(relay.wsUrl, 'conversation:c-auth-b', tokens.erin!)
    const contacts = connectProvider(relay.wsUrl, 'contacts', tokens.erin!)
    await Promise.all([inbox.synced, conv.synced, contacts.synced])
    const started = Date.now()
    const res = await fetch(`${relay.url}/api/admin/access`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ memberId: 'erin', phoneNumberId: 'pn-b' }),
    })
    expect(res.status).toBe(200)
    await until(() => inbox.closes.some((c) => c.code === CloseCode.Forbidden), 'inbox closed')
    await until(
      () => conv.closes.some((c) => c.code === CloseCode.Forbidden),
      'conversation closed',
    )
    console.log(`revocation closed sockets after ${Date.now() - started} ms`)
    expect(contacts.closes).toEqual([])
    inbox.destroy()
    conv.destroy()
    contacts.destroy()
    await refused(`inbox:pn-b?token=${tokens.erin}`, CloseCode.Forbidden)
  })

  it('a viewer may join but not write (update rejected with 4422)', async () => {
    const { markConversation } = await import('@switchboard/core')
    const { author } = await import('./test-helpers.ts')
    expect((await relay.webhook(incoming('c-auth-a', 'pn-a'))).status).toBe(202)
    const v = connectProvider(relay.wsUrl, 'inbox:pn-a', tokens.vic!)
    await v.synced
    markConversation(v.doc, 'c-auth-a', 'done', author('vic'))
    await until(() => v.closes.some((c) => c.code === CloseCode.Rejected), 'viewer write refused')
    v.destroy()
  })
})

describe('[§4 auth] token lifetime', () => {
  it('a socket is closed with 4401 when its token expires', async () => {
    // Tokens expire on whole seconds (exp = iat + ttl, iat rounded down): 3 s leaves the token
    // 2–3 s, so the socket is surely open before it expires, even on a busy machine.
    const short = await startTestRelay({ tokenTtlSeconds: 3 })
    try {
      const token = await short.login('alice@example.com')
      const c = connectProvider(short.wsUrl, 'inbox:pn-a', token)
      await c.synced
      await until(
        () => c.closes.some((x) => x.code === CloseCode.Unauthorized),
        'expiry close',
        10_000,
      )
      c.destroy()
    } finally {
      await short.close()
    }
  }, 20_000)
})
