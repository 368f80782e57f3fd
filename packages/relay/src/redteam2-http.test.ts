/**
 * Red-team review of issue 20, HTTP [A1]–[A8] and restore [T*]: raw requests against a real relay
 * and the real SQLite store (chunked and gzip bodies, forwarded addresses, error headers, the
 * metrics token, absurd restore times); each test asserts the safe behaviour. Hole it found,
 * fixed: a restore time past what a Date holds answered 500.
 */
import { request as httpRequest } from 'node:http'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { accessFixture, loginAs } from './access-fixture.ts'
import { api, incoming, type TestRelay } from './test-helpers.ts'

const { relayOnSqlite } = accessFixture()

/** A raw HTTP request (chunked when `chunks` is given), its status and headers. */
function rawHttp(
  r: TestRelay,
  path: string,
  headers: Record<string, string>,
  chunks: Buffer[],
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${r.url}${path}`, { method: 'POST', headers }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    )
    for (const c of chunks) req.write(c)
    req.end()
  })
}

describe('HTTP', () => {
  it('[A5] a chunked login body past 8 KiB is 413; a gzip body is not inflated', async () => {
    const r = await relayOnSqlite()
    const big = Buffer.from(
      JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(20_000) }),
    )
    const chunked = await rawHttp(
      r,
      '/api/login',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      [big.subarray(0, 4000), big.subarray(4000)],
    )
    expect(chunked.status).toBe(413)
    const bomb = gzipSync(Buffer.from(JSON.stringify({ refreshToken: 'x'.repeat(5_000_000) })))
    const gz = await rawHttp(
      r,
      '/api/refresh',
      {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(bomb.length),
      },
      [bomb],
    )
    expect(gz.status).toBe(400)
    // A content-length that lies low: the body beyond it is not read as this request's.
    const lie = await rawHttp(
      r,
      '/api/login',
      { 'content-type': 'application/json', 'content-length': '10' },
      [big.subarray(0, 10)],
    )
    expect(lie.status).toBe(400)
  })

  it('[A1][A3] X-Forwarded-For does not give a guesser fresh allowances; many emails from one address wait', async () => {
    const r = await relayOnSqlite({ loginLimit: { perEmail: 3, perIp: 6 } as never })
    const codes: number[] = []
    for (let i = 0; i < 6; i++)
      codes.push(
        (
          await loginAs(r, 'carol@example.com', 'wrong-password', {
            'x-forwarded-for': `10.0.0.${i}`,
            'x-real-ip': `10.0.1.${i}`,
          })
        ).status,
      )
    expect(codes).toContain(429)
    const r2 = await relayOnSqlite({ loginLimit: { perEmail: 3, perIp: 6 } as never })
    const spread: number[] = []
    for (let i = 0; i < 10; i++)
      spread.push((await loginAs(r2, `nobody${i}@example.com`, 'wrong')).status)
    expect(spread).toContain(429)
  })

  it('[A7] error responses (404, 401, 413, 426, 400) carry the security headers', async () => {
    const r = await relayOnSqlite()
    const check = (h: Headers | Record<string, unknown>, what: string) => {
      const get = (k: string) => (h instanceof Headers ? h.get(k) : (h[k] as string | undefined))
      expect(get('x-content-type-options'), what).toBe('nosniff')
      expect(get('x-frame-options'), what).toBe('DENY')
      expect(String(get('content-security-policy')), what).toContain("frame-ancestors 'none'")
    }
    check((await fetch(`${r.url}/nope`)).headers, '404')
    check((await fetch(`${r.url}/api/nope`)).headers, 'api 404')
    check((await api(r, '/api/me', { token: 'x' })).headers, '401')
    check((await fetch(`${r.url}/sync/workspace`)).headers, '426')
    check((await api(r, '/api/login', { body: 'x' })).headers, '400')
    const big = await rawHttp(
      r,
      '/api/login',
      { 'content-type': 'application/json', 'content-length': '100000' },
      [Buffer.alloc(100)],
    )
    expect(big.status).toBe(413)
    check(big.headers, '413')
    // Webhooks get theirs before the answer is made: an answer, a refusal and an error alike.
    const hook = await r.webhook(incoming('c-headers', 'pn-a'))
    expect(hook.status).toBe(202)
    check(hook.headers, 'webhook 202')
    check((await fetch(`${r.url}/api/webhooks/twilio/pn-a`, { method: 'POST' })).headers, 'w404')
    const bigHook = await rawHttp(
      r,
      '/api/webhooks/activity',
      { 'content-type': 'application/json', 'content-length': '100000000' },
      [Buffer.alloc(100)],
    )
    expect(bigHook.status).toBe(413)
    check(bigHook.headers, 'webhook 413')
  })

  it('[A8] /metrics with METRICS_TOKEN: no, wrong, or prefixed tokens are 401; no login token opens it', async () => {
    const r = await relayOnSqlite({ metricsToken: 'metrics-secret-1' })
    const alice = await r.login('alice@example.com')
    for (const auth of [
      undefined,
      'Bearer metrics-secret-2',
      'Bearer metrics-secret-1x',
      'metrics-secret-1',
      `Bearer ${alice}`,
      'bearer metrics-secret-1',
    ])
      expect(
        (await fetch(`${r.url}/metrics`, { headers: auth ? { authorization: auth } : {} })).status,
      ).toBe(401)
    expect(
      (await fetch(`${r.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-1' } }))
        .status,
    ).toBe(200)
  })
})

describe('restore', () => {
  it('[T*] only an owner restores; absurd times and rooms are 400/404, not 500', async () => {
    const r = await relayOnSqlite()
    const carol = await r.login('carol@example.com')
    const alice = await r.login('alice@example.com')
    expect(
      (
        await api(r, '/api/admin/restore', {
          token: carol,
          body: { room: 'inbox:pn-a', at: Date.now() - 1000 },
        })
      ).status,
    ).toBe(403)
    for (const at of [
      1e20,
      -1,
      0,
      Date.now() + 3_600_000,
      'now',
      '2025-01-01T00:00:00',
      '9999-12-31T23:59:59Z',
      1.5,
      null,
      { valueOf: 1 },
      '1e3',
      Number.MAX_SAFE_INTEGER,
      '99999999999999999',
    ])
      expect(
        `${JSON.stringify(at)} ${(await api(r, '/api/admin/restore', { token: alice, body: { room: 'inbox:pn-a', at } })).status}`,
      ).toBe(`${JSON.stringify(at)} 400`)
    for (const [room, status] of [
      ['conversation:c-1', 400],
      ['workspace', 400],
      ['inbox:pn-zzz', 404],
      ['inbox:../x', 400],
      ['', 400],
    ] as const)
      expect(
        (
          await api(r, '/api/admin/restore', {
            token: alice,
            body: { room, at: Date.now() - 60_000 },
          })
        ).status,
      ).toBe(status)
  })
})
