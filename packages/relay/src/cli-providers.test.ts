/**
 * `switchboard-relay create-phone-number --provider …` and `set-credentials`, run as the operator
 * runs them: the bin as a child process on a temporary DATA_DIR [K1][K4][K8].
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { secretFrom } from './node/secrets.ts'
import { createRelay } from './relay.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { QUO, SECRETS, TELNYX, TWILIO } from './providers/test-credentials.ts'

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'switchboard-relay.mjs')
const PUBLIC_URL = 'https://relay.example.com/sb'

function cli(dir: string, args: string[], options: { input?: string; env?: object } = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, DATA_DIR: dir, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: run.status, out: run.stdout, err: run.stderr }
}

/** The credentials a relay started on `dir` opens for a number (as the server would). */
async function opened(dir: string, id: string) {
  const relay = createRelay({
    storage: createSqliteStorage({ path: join(dir, 'relay.db') }),
    secret: secretFrom(dir, 'switchboard-secret', undefined),
    webhookSecret: 'unused',
    upgradeWebSocket: (() => {
      throw new Error('no sockets')
    }) as never,
    log: () => {},
  })
  try {
    return relay.providerAccounts.get(id)
  } finally {
    await relay.close()
  }
}

const storeText = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('relay.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('')

const noSecret = (text: string) => {
  for (const secret of SECRETS) expect(text).not.toContain(secret)
}

// Each command is a child process (tsx included): seconds, not milliseconds.
describe('switchboard-relay connects numbers through providers', { timeout: 60_000 }, () => {
  it('[K4][K8] --provider quo --credentials-file: stored sealed, opened by the relay, the webhook URL printed, no secret echoed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-pn-'))
    const file = join(dir, 'quo.json')
    writeFileSync(file, JSON.stringify(QUO))
    const run = cli(
      dir,
      [
        'create-phone-number',
        '--name',
        'Front desk',
        '--number',
        '+14155550142',
        '--id',
        'pn-front',
        '--provider',
        'quo',
        '--credentials-file',
        file,
      ],
      { env: { PUBLIC_URL } },
    )
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toContain(
      'created phone number pn-front +14155550142 (Front desk), connected through quo',
    )
    expect(run.out).toContain(`webhook URL: ${PUBLIC_URL}/api/webhooks/quo/pn-front`)
    noSecret(run.out + run.err)
    noSecret(storeText(dir))
    expect(await opened(dir, 'pn-front')).toMatchObject({ provider: 'quo', credentials: QUO })
  })

  it('[K4][K7] Twilio by flags (a note about shell history), Telnyx from stdin, then a rotation with set-credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-pn-'))
    const twilio = cli(dir, [
      'create-phone-number',
      '--name',
      'Sales',
      '--number',
      '+14155550100',
      '--id',
      'pn-sales',
      '--provider',
      'twilio',
      '--account-sid',
      TWILIO.accountSid,
      '--auth-token',
      TWILIO.authToken,
    ])
    expect(twilio.code).toBe(0)
    expect(twilio.err).toContain('--auth-token stays in your shell history')
    expect(twilio.out).toContain('webhook URL: <PUBLIC_URL>/api/webhooks/twilio/pn-sales')
    expect(twilio.out).toContain('PUBLIC_URL is not set')
    const telnyx = cli(
      dir,
      [
        'create-phone-number',
        '--name',
        'Support',
        '--number',
        '+14155550101',
        '--id',
        'pn-support',
        '--provider',
        'telnyx',
        '--credentials-file',
        '-',
      ],
      { input: JSON.stringify({ credentials: TELNYX }), env: { PUBLIC_URL } },
    )
    expect(telnyx.code).toBe(0)
    expect(telnyx.out).toContain(`${PUBLIC_URL}/api/webhooks/telnyx/pn-support`)
    const rotated = { ...TWILIO, authToken: 'tw-rotated-token-0123456789' }
    const rotate = cli(
      dir,
      ['set-credentials', '--phone-number', 'pn-sales', '--credentials-file', '-'],
      { input: JSON.stringify(rotated), env: { PUBLIC_URL } },
    )
    expect(rotate.code).toBe(0)
    expect(rotate.out).toContain(`webhook URL: ${PUBLIC_URL}/api/webhooks/twilio/pn-sales`)
    expect(await opened(dir, 'pn-sales')).toMatchObject({ credentials: rotated })
    expect(await opened(dir, 'pn-support')).toMatchObject({ credentials: TELNYX })
    const list = cli(dir, ['list'])
    expect(list.out).toMatch(/pn-sales .*\(twilio\)/)
    noSecret(list.out + telnyx.out + telnyx.err + rotate.out + rotate.err)
  })

  it('[K4] a wrong field, a file and flags at once, or an unreadable file: exit 1 naming it, nothing stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-pn-'))
    const base = ['create-phone-number', '--name', 'Q', '--number', '+14155550142', '--id', 'pn-q']
    const wrong = cli(dir, [...base, '--provider', 'quo', '--credentials-file', '-'], {
      input: JSON.stringify({ apiKey: QUO.apiKey, secret: QUO.webhookSecret }),
    })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/^error: credentials\.webhookSecret: /)
    noSecret(wrong.out + wrong.err)
    const both = cli(dir, [
      ...base,
      '--provider',
      'quo',
      '--credentials-file',
      '-',
      '--api-key',
      QUO.apiKey,
    ])
    expect(both.code).toBe(1)
    expect(both.err).toContain(
      'error: credentials-file: give the credentials in a file or as flags',
    )
    const missing = cli(dir, [
      ...base,
      '--provider',
      'quo',
      '--credentials-file',
      join(dir, 'nope'),
    ])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('(ENOENT)')
    const junk = cli(dir, [...base, '--provider', 'quo', '--credentials-file', '-'], {
      input: QUO.apiKey,
    })
    expect(junk.code).toBe(1)
    expect(junk.err).toContain('- must hold a JSON object')
    noSecret(junk.out + junk.err)
    const other = cli(dir, [...base, '--provider', 'vonage', '--credentials-file', '-'], {
      input: '{}',
    })
    expect(other.code).toBe(1)
    expect(other.err).toMatch(/^error: provider: /)
    const list = cli(dir, ['list'])
    expect(list.out).not.toContain('pn-q')
  })
})
