import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incoming, startRelay, tempDir, type TestRelay } from '@switchboard/client/testing'
import { parseRelayUrls, sessionRelays } from './relays.ts'
import type { Session } from './session.ts'

const bin = fileURLToPath(new URL('../bin/switchboard.mjs', import.meta.url))

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, SWITCHBOARD_RELAY_URLS: '', ...env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

/** A port nothing listens on: connections to it are refused. */
async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

describe('relay URLs on the command line', () => {
  it('comma-separated, trimmed, each once, a trailing slash dropped', () => {
    expect(parseRelayUrls(' http://a:1/, https://b.example ,http://a:1', 'login')).toEqual([
      'http://a:1',
      'https://b.example',
    ])
  })

  it('a malformed or empty list is refused, naming the bad URL (exit 2)', () => {
    expect(() => parseRelayUrls('http://a:1,b.example', 'login')).toThrow(
      /not a relay URL: b.example/,
    )
    expect(() => parseRelayUrls(' , ', 'SWITCHBOARD_RELAY_URLS')).toThrow(
      /SWITCHBOARD_RELAY_URLS: no relay URL given/,
    )
  })

  it('a session tries the relay that last answered first; SWITCHBOARD_RELAY_URLS replaces its list', () => {
    const session = { url: 'http://b', urls: ['http://a', 'http://b'] } as Session
    expect(sessionRelays(session, {})).toEqual(['http://b', 'http://a'])
    expect(sessionRelays(session, { SWITCHBOARD_RELAY_URLS: 'http://c,http://a' })).toEqual([
      'http://b',
      'http://c',
      'http://a',
    ])
    expect(sessionRelays({ url: 'http://a' } as Session, {})).toEqual(['http://a'])
  })
})

describe('switchboard login with several relays', () => {
  let relay: TestRelay
  const home = tempDir('sb-cli-home-')
  const data = tempDir('sb-cli-data-')
  const env = () => ({ SWITCHBOARD_HOME: home.dir, SWITCHBOARD_TIMEOUT: '20' })
  const session = () => JSON.parse(readFileSync(join(data.dir, 'session.json'), 'utf8')) as Session

  beforeAll(async () => {
    relay = await startRelay()
    await relay.ingest(incoming('c1', 'Is my order shipped?'))
  })
  afterAll(async () => {
    await relay?.stop()
    home.remove()
    data.remove()
  })

  it('logs in through the first relay that answers, keeps the list, and syncs through it', async () => {
    const dead = await deadUrl()
    const login = await cli(
      [
        'login',
        `${dead},${relay.url}`,
        '--email',
        'bob@example.com',
        '--password',
        'demo-password',
        '--data',
        data.dir,
      ],
      env(),
    )
    expect(login.stderr).toBe('')
    expect(login.code).toBe(0)
    expect(session()).toMatchObject({ url: relay.url, urls: [dead, relay.url] })

    const done = await cli(['done', 'c1', '--data', data.dir], env())
    expect(done.code).toBe(0)
    expect(done.stdout).toMatch(/c1 → Done[^]*synced/)
    const status = await cli(['status', '--json', '--data', data.dir], env())
    expect(JSON.parse(status.stdout)).toMatchObject({
      url: relay.url,
      urls: [dead, relay.url],
      online: true,
      pending: 0,
    })
  })

  it('SWITCHBOARD_RELAY_URLS stands for the URL argument', async () => {
    const dead = await deadUrl()
    const r = await cli(
      ['login', '--email', 'bob@example.com', '--password', 'demo-password', '--data', data.dir],
      { ...env(), SWITCHBOARD_RELAY_URLS: `${dead}, ${relay.url}` },
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(session()).toMatchObject({ url: relay.url, urls: [dead, relay.url] })
  })

  it('no relay answering: the error names every relay tried', async () => {
    const [a, b] = [await deadUrl(), await deadUrl()]
    const r = await cli(
      [
        'login',
        `${a},${b}`,
        '--email',
        'bob@example.com',
        '--password',
        'demo-password',
        '--data',
        data.dir,
      ],
      env(),
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`relay unreachable at ${a}, ${b}`)
  })
})
