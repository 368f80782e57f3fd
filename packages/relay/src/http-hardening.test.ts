/**
 * The relay's HTTP edges as an outsider meets them, on a real server: body limits before parsing
 * [A5], security headers on the app and the API [A7], /metrics access [A8], store file modes [A9]
 * and webhook times ahead of the clock [A6].
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BODY_LIMITS } from './body-limits.ts'
import { isLoopback } from './metrics-access.ts'
import { inlineScriptHashes } from './node/script-hashes.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { incoming, startTestRelay, type TestRelay } from './test-helpers.ts'

let relay: TestRelay | null = null
afterEach(async () => {
  await relay?.close()
  relay = null
})

interface StreamedPost {
  status: number
  body: string
  /** Bytes written before the answer arrived. */
  sentBeforeAnswer: number
  rssGrowth: number
}

/**
 * POSTs up to `total` bytes in 64 KiB chunks, each after the previous one drained, and stops
 * sending as soon as an answer arrives. `declare` sends a content-length, else it is chunked.
 */
function streamPost(url: string, total: number, declare: boolean): Promise<StreamedPost> {
  const rssBefore = process.memoryUsage().rss
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    let answered = false
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(declare ? { 'content-length': String(total) } : {}),
      },
    })
    req.on('response', (res) => {
      answered = true
      const sentBeforeAnswer = sent
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => {
        req.destroy()
        resolve({
          status: res.statusCode ?? 0,
          body,
          sentBeforeAnswer,
          rssGrowth: process.memoryUsage().rss - rssBefore,
        })
      })
    })
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    req.flushHeaders()
    pump()
  })
}

const HUNDRED_MIB = 100 * 1024 * 1024

describe('[A5] body limits before parsing', () => {
  it('a declared 100 MiB login body is refused with 413 before it is sent', async () => {
    relay = await startTestRelay()
    const res = await streamPost(`${relay.url}/api/login`, HUNDRED_MIB, true)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body)).toEqual({
      error: `body too large: at most ${BODY_LIMITS.login} bytes`,
      field: 'body',
      limit: BODY_LIMITS.login,
    })
    expect(res.sentBeforeAnswer).toBeLessThan(HUNDRED_MIB)
  })

  it('a chunked 100 MiB body is refused with 413 once it passes the limit, on every JSON route', async () => {
    relay = await startTestRelay()
    for (const path of [
      '/api/login',
      '/api/refresh',
      '/api/outgoing',
      '/api/admin/members',
      '/api/admin/access',
      '/api/webhooks/activity',
    ]) {
      const res = await streamPost(`${relay.url}${path}`, HUNDRED_MIB, false)
      expect([path, res.status]).toEqual([path, 413])
      expect(JSON.parse(res.body)).toMatchObject({ field: 'body' })
      // The relay answered long before the body could have been read (or held) whole.
      expect(res.sentBeforeAnswer).toBeLessThan(HUNDRED_MIB / 4)
      expect(res.rssGrowth).toBeLessThan(HUNDRED_MIB / 2)
    }
  })

  it('a body within the limit still reaches the route', async () => {
    relay = await startTestRelay()
    const res = await fetch(`${relay.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@example.com', password: 'x'.repeat(4000) }),
    })
    expect(res.status).toBe(401)
  })
})

describe('[A7] security headers', () => {
  const webDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-web-csp-'))
    mkdirSync(join(dir, '_app'))
    const script = '\n  window.started = true\n'
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><title>Switchboard</title><div style="display: contents"><script>${script}</script></div><script type="module" src="/_app/start.js"></script>`,
    )
    writeFileSync(join(dir, '_app/start.js'), 'export {}')
    return dir
  }

  it('the app, its assets and the API carry CSP (inline script by hash), frame-ancestors none, nosniff, no-referrer', async () => {
    const dir = webDir()
    relay = await startTestRelay({ webDir: dir })
    const hash = inlineScriptHashes(
      '<script>\n  window.started = true\n</script><script src="/x.js"></script>',
    )
    expect(hash).toHaveLength(1)
    for (const path of ['/', '/inbox/somewhere', '/_app/start.js', '/healthz', '/api/me']) {
      const res = await fetch(`${relay.url}${path}`)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect([path, csp]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")])
      expect(csp).toContain(`script-src 'self' ${hash[0]}`)
      expect(csp).not.toContain("'unsafe-inline' 'sha")
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/)
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${relay.port}`)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    }
  })

  it('the hash in the CSP is the hash of the inline script the built app has', () => {
    const html = '<div><script>\n\t\t\t\t{ start() }\n\t\t\t</script></div>'
    const [hash] = inlineScriptHashes(html)
    // sha256 of the exact text between the tags, base64 (CSP Level 2 hash source).
    expect(hash).toBe(
      `'sha256-${Buffer.from(
        createHash('sha256').update('\n\t\t\t\t{ start() }\n\t\t\t').digest(),
      ).toString('base64')}'`,
    )
  })
})

describe('[A8] /metrics', () => {
  it('with METRICS_TOKEN, only the Bearer token opens it (401 otherwise)', async () => {
    relay = await startTestRelay({ metricsToken: 'scrape-me' })
    const none = await fetch(`${relay.url}/metrics`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    const wrong = await fetch(`${relay.url}/metrics`, {
      headers: { authorization: 'Bearer scrape-you' },
    })
    expect(wrong.status).toBe(401)
    const right = await fetch(`${relay.url}/metrics`, {
      headers: { authorization: 'Bearer scrape-me' },
    })
    expect(right.status).toBe(200)
    expect(await right.text()).toContain(
      'switchboard_auth_failures_total{reason="metrics-token"} 2',
    )
  })

  it('without METRICS_TOKEN, a loopback client reads it and any other gets 403', async () => {
    relay = await startTestRelay()
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(200)
    // Through app.request there is no socket, so no loopback address either.
    const res = await relay.relay.app.request('/metrics')
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'metrics are served to loopback clients only (set METRICS_TOKEN)',
    })
  })

  it('loopback is 127.0.0.0/8 and ::1, IPv4-mapped or not', () => {
    const loopback = ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']
    const others = ['10.0.0.1', '198.51.100.7', '::ffff:10.0.0.1', 'fe80::1', '', undefined]
    expect(loopback.map(isLoopback)).toEqual(loopback.map(() => true))
    expect(others.map(isLoopback)).toEqual(others.map(() => false))
  })
})

describe('[A9] store files', () => {
  it('the SQLite database and its -wal and -shm files are created 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-mode-'))
    const path = join(dir, 'relay.db')
    const storage = createSqliteStorage({ path })
    relay = await startTestRelay({ storage })
    await relay.webhook(incoming('c1', 'pn-a'))
    for (const file of [path, `${path}-wal`, `${path}-shm`])
      expect([file, (statSync(file).mode & 0o777).toString(8)]).toEqual([file, '600'])
  })

  it('an older store file readable by others is narrowed to 0600 as it opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-mode-'))
    const path = join(dir, 'relay.db')
    await createSqliteStorage({ path }).close()
    chmodSync(path, 0o644)
    const storage = createSqliteStorage({ path })
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600')
    await storage.close()
  })
})

describe('[A6] webhook activity times', () => {
  it('a time more than 5 minutes ahead is refused with 400 naming the field; an old one is accepted', async () => {
    relay = await startTestRelay()
    const ahead = { ...incoming('c1', 'pn-a'), at: Date.now() + 6 * 60_000 }
    const res = await relay.webhook(ahead)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: "at is more than 5 minutes ahead of the relay's clock",
      field: 'at',
    })
    const inBatch = await relay.webhook([incoming('c2', 'pn-a'), { ...ahead, id: 'far' }])
    expect(await inBatch.json()).toMatchObject({ field: '[1].at' })
    const year9999 = { ...incoming('c3', 'pn-a'), at: Date.UTC(9999, 0, 1) }
    expect((await relay.webhook(year9999)).status).toBe(400)
    const old = { ...incoming('c4', 'pn-a'), at: Date.now() - 30 * 86_400_000 }
    expect((await relay.webhook(old)).status).toBe(202)
    const slightlyAhead = { ...incoming('c5', 'pn-a'), at: Date.now() + 60_000 }
    expect((await relay.webhook(slightlyAhead)).status).toBe(202)
  })
})
