import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runCli } from './cli.ts'
import { main } from './main.ts'
import { readRelayEnv, relayEnv } from './node/env.ts'
import { README, envTableRows, readmeEnvRows } from './node/env-table.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const freshDataDir = () => {
  const parent = mkdtempSync(join(tmpdir(), 'sb-env-'))
  dirs.push(parent)
  return join(parent, 'data')
}

const URL_WANTED = 'an http(s) URL without query or fragment, such as https://relay.example.com'

describe('main(): settings from the environment', () => {
  it.each([
    ['HISTORY_HORIZON_MS', '90d', 'a whole number of milliseconds'],
    ['HISTORY_HORIZON_MS', '-1', 'a whole number of milliseconds'],
    ['COMPACT_EVERY', '2.5', 'a whole number of batches'],
    ['EPOCH_LOAD_ITEMS', 'many', 'a whole number of items'],
    ['EPOCH_LOAD_WRITERS', '-5', 'a whole number of writers'],
    ['MAX_SOCKETS_PER_MEMBER', 'lots', 'a whole number of sockets'],
    ['MAX_SYNC_BYTES_PER_MEMBER', '1e99', 'a whole number of bytes'],
    ['MAX_PRESENCE_BYTES', '8k', 'a whole number of bytes'],
    ['PRESENCE_UPDATES_PER_SECOND', '0.5', 'a whole number of updates'],
    ['RESTORE_RETENTION_DAYS', '30d', 'a whole number of days'],
    ['MAX_FRAME_BYTES', '1MB', 'a whole number of bytes'],
    ['MAX_SYNC_FRAME_BYTES', '32 MiB', 'a whole number of bytes'],
    ['TOKEN_TTL_SECONDS', '1h', 'a whole number of seconds'],
    ['SESSION_TTL_SECONDS', '30 days', 'a whole number of seconds'],
    ['EPOCH_EVERY', '1e3', 'a whole number of batches'],
    ['COMPACT_QUIET_MS', '1s', 'a whole number of milliseconds'],
    ['PORT', 'http', 'a port number from 0 to 65535'],
    ['PORT', '70000', 'a port number from 0 to 65535'],
    ['PUBLIC_URL', 'relay.example.com', URL_WANTED],
    ['PUBLIC_URL', 'ftp://relay.example.com', URL_WANTED],
    ['PUBLIC_URL', 'https://relay.example.com/?team=1', URL_WANTED],
    ['PUBLIC_URL', 'https://user:pw@relay.example.com', URL_WANTED],
    ['TWILIO_API_BASE', 'api.twilio.com', URL_WANTED],
    ['TELNYX_API_BASE', 'https://api.telnyx.com#v2', URL_WANTED],
    ['QUO_API_BASE', 'not a url', URL_WANTED],
  ])(
    '%s=%s is refused with its name and value before DATA_DIR is touched',
    async (name, value, what) => {
      const dataDir = freshDataDir()
      const env = { DATA_DIR: dataDir, PORT: '0', [name]: value }
      await expect(main(env)).rejects.toThrow(`${name} must be ${what}, got '${value}'`)
      expect(existsSync(dataDir)).toBe(false)
    },
  )

  it('[K2] a CREDENTIALS_KEY that is not 32 bytes of base64 stops the start, naming the variable but never showing the value', async () => {
    for (const value of [
      randomBytes(16).toString('base64'),
      randomBytes(32).toString('hex'),
      'correct horse battery staple',
    ]) {
      const dataDir = freshDataDir()
      const failure = main({ DATA_DIR: dataDir, PORT: '0', CREDENTIALS_KEY: value })
      await expect(failure).rejects.toThrow(
        `CREDENTIALS_KEY must be 32 random bytes in base64 (openssl rand -base64 32), got a value of ${value.length} characters (not shown)`,
      )
      await expect(failure).rejects.not.toThrow(value)
      expect(existsSync(dataDir)).toBe(false)
    }
  })

  it("[K2][K8] CREDENTIALS_KEY, PUBLIC_URL and the providers' API bases are read, the URLs without a trailing slash", () => {
    const key = randomBytes(32)
    expect(
      readRelayEnv({
        CREDENTIALS_KEY: key.toString('base64'),
        PUBLIC_URL: 'https://relay.example.com/switchboard/',
        TWILIO_API_BASE: 'http://127.0.0.1:4010/',
      }),
    ).toMatchObject({
      CREDENTIALS_KEY: new Uint8Array(key),
      PUBLIC_URL: 'https://relay.example.com/switchboard',
      TWILIO_API_BASE: 'http://127.0.0.1:4010',
      TELNYX_API_BASE: 'https://api.telnyx.com',
      QUO_API_BASE: 'https://api.openphone.com',
    })
    expect(readRelayEnv({}).PUBLIC_URL).toBeUndefined()
    expect(readRelayEnv({}).CREDENTIALS_KEY).toBeUndefined()
  })

  it('DATABASE_URL must be a postgres URL, and a bad one is never echoed (it may hold a password); RELAY_ID is a plain name', () => {
    const bad = 'mysql://admin:hunter2@db/x'
    expect(() => readRelayEnv({ DATABASE_URL: bad }, ['DATABASE_URL'])).toThrow(
      `DATABASE_URL must be a postgres:// URL (postgres://user:password@host:5432/database), got a value of ${bad.length} characters (not shown)`,
    )
    expect(() => readRelayEnv({ DATABASE_URL: bad }, ['DATABASE_URL'])).not.toThrow('hunter2')
    const url = 'postgres://sb:pw@db.internal:5432/switchboard'
    expect(readRelayEnv({ DATABASE_URL: url }, ['DATABASE_URL']).DATABASE_URL).toBe(url)
    expect(readRelayEnv({ RELAY_ID: 'relay-a.1' }, ['RELAY_ID']).RELAY_ID).toBe('relay-a.1')
    expect(() => readRelayEnv({ RELAY_ID: 'a b' }, ['RELAY_ID'])).toThrow(
      'RELAY_ID must be 1–64 letters',
    )
  })

  it('MAX_FRAME_BYTES=1MB fails with the variable and the value, never as NaN', () => {
    expect(() => readRelayEnv({ MAX_FRAME_BYTES: '1MB' })).toThrow(
      "MAX_FRAME_BYTES must be a whole number of bytes, got '1MB'",
    )
  })

  it('an unset or empty variable takes the default of its table entry', () => {
    const unset = readRelayEnv({})
    const empty = readRelayEnv(Object.fromEntries(Object.keys(relayEnv).map((n) => [n, ''])))
    for (const settings of [unset, empty])
      expect(settings).toEqual(
        Object.fromEntries(Object.entries(relayEnv).map(([n, e]) => [n, e.default])),
      )
    expect(unset).toMatchObject({ PORT: 8787, HOST: '127.0.0.1', DATA_DIR: './data', DEMO: true })
  })

  it('values are parsed by their kind: whole numbers, lists, the DEMO switch', () => {
    expect(
      readRelayEnv({
        PORT: '0',
        MAX_FRAME_BYTES: '2097152',
        ALLOWED_ORIGINS: ' https://a.example, ,https://b.example ',
        DEMO: '0',
        METRICS_TOKEN: 'scrape',
      }),
    ).toMatchObject({
      PORT: 0,
      MAX_FRAME_BYTES: 2_097_152,
      ALLOWED_ORIGINS: ['https://a.example', 'https://b.example'],
      DEMO: false,
      METRICS_TOKEN: 'scrape',
    })
    expect(readRelayEnv({ DEMO: '1' }).DEMO).toBe(true)
  })

  it('reading some variables leaves the others unchecked (the CLI reads only its own)', () => {
    expect(readRelayEnv({ PORT: 'http', DATA_DIR: '/x' }, ['DATA_DIR'])).toEqual({
      DATA_DIR: '/x',
    })
  })
})

describe('switchboard-relay CLI: settings from the environment', () => {
  it('a bad RESTORE_RETENTION_DAYS exits 1 with its name and value before the store is opened', async () => {
    const dataDir = freshDataDir()
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const code = await runCli(['list'], { DATA_DIR: dataDir, RESTORE_RETENTION_DAYS: '30d' })
    const printed = err.mock.calls.at(-1)?.[0] as unknown
    err.mockRestore()
    expect(code).toBe(1)
    expect(printed).toBe("error: RESTORE_RETENTION_DAYS must be a whole number of days, got '30d'")
    expect(existsSync(dataDir)).toBe(false)
  })
})

describe('one table for every environment variable', () => {
  it("the README's configuration table lists exactly the table's variables, defaults and descriptions", () => {
    expect(readmeEnvRows(readFileSync(README, 'utf8'))).toEqual(envTableRows())
  })

  it('no source file but node/env.ts reads an environment variable', () => {
    const src = fileURLToPath(new URL('.', import.meta.url))
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const path = join(dir, f)
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
      })
    // The snapshot builders' configuration is a message from the relay to its own child process;
    // the test cluster's socket is a message from the test run's global setup to its test files;
    // tests and their child processes' fixtures are given their environment by the test.
    const allowed = new Set([
      'node/env.ts',
      'storage/snapshot-builder.ts',
      'storage/snapshot-builder-pg-process.ts',
      'testing/postgres.ts',
      'testing/postgres-global-setup.ts',
    ])
    const readers = files(src)
      .filter((f) => !/\.(test|fixture)\.ts$/.test(f) && !allowed.has(relative(src, f)))
      .filter((f) => /\benv\.[A-Z_]+|\benv\[/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(src, f))
    expect(readers).toEqual([])
  })
})
