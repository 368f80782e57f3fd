/**
 * [K4] Connecting a number through the admin API: each bad field is a 400 naming it, and nothing
 * of the request is stored (real HTTP, real SQLite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QUO, SECRETS, TELNYX, TWILIO } from '../providers/test-credentials.ts'
import type { createSqliteStorage } from '../storage/sqlite.ts'
import {
  connect,
  phoneNumbersFixture,
  storeBytes,
  workspacePhoneNumbers,
  type Started,
} from './phone-numbers-fixture.ts'

const { start, keep } = phoneNumbersFixture()

describe('[K4] POST /api/admin/phone-numbers with a provider: checked before stored', () => {
  describe('[K4] each bad field is a 400 naming it, and nothing is stored', () => {
    let shared: Started
    beforeAll(async () => {
      shared = await start()
      keep() // closed by afterAll, not after each case
    })
    afterAll(() => shared.r.close())

    it.each([
      ['an unknown provider', 'provider', { provider: 'vonage', credentials: TWILIO }],
      ['credentials without a provider', 'provider', { credentials: TWILIO }],
      ['a provider without credentials', 'credentials', { provider: 'twilio' }],
      ['credentials as a string', 'credentials', { provider: 'twilio', credentials: 'AC…:token' }],
      [
        'no Twilio auth token',
        'credentials.authToken',
        { provider: 'twilio', credentials: { accountSid: TWILIO.accountSid } },
      ],
      [
        'an empty Twilio auth token',
        'credentials.authToken',
        { provider: 'twilio', credentials: { ...TWILIO, authToken: '' } },
      ],
      [
        'a short Account SID',
        'credentials.accountSid',
        { provider: 'twilio', credentials: { ...TWILIO, accountSid: 'AC12' } },
      ],
      [
        'a field Twilio does not have',
        'credentials.extra',
        { provider: 'twilio', credentials: { ...TWILIO, extra: 'x' } },
      ],
      [
        'a Telnyx public key that is not 32 bytes',
        'credentials.publicKey',
        { provider: 'telnyx', credentials: { ...TELNYX, publicKey: 'abc' } },
      ],
      [
        'no Telnyx API key',
        'credentials.apiKey',
        { provider: 'telnyx', credentials: { publicKey: TELNYX.publicKey } },
      ],
      [
        'a Quo signing key that is not base64',
        'credentials.webhookSecret',
        { provider: 'quo', credentials: { ...QUO, webhookSecret: 'whsec_!' } },
      ],
      [
        'no Quo signing key',
        'credentials.webhookSecret',
        { provider: 'quo', credentials: { apiKey: QUO.apiKey } },
      ],
      [
        'a number with spaces',
        'number',
        { provider: 'twilio', credentials: TWILIO, number: '415 555 0199' },
      ],
      [
        'a number too short for E.164',
        'number',
        { provider: 'twilio', credentials: TWILIO, number: '+1415' },
      ],
      ['an empty name', 'name', { provider: 'twilio', credentials: TWILIO, name: '' }],
      ['a bad id', 'id', { provider: 'twilio', credentials: TWILIO, id: 'bad id!' }],
    ] as const)('%s → 400 naming %s', async (_what, field, fields) => {
      const { r, dir, bob } = shared
      const numbersBefore = r.storage.listPhoneNumbers()
      const docBefore = await workspacePhoneNumbers(r)
      const res = await connect(r, bob, { name: 'Bad', number: '+14155550104', ...fields })
      expect(res.status).toBe(400)
      const text = await res.text()
      const answer = JSON.parse(text) as { error: string; field: string }
      expect(answer.field).toBe(field)
      expect(answer.error).toContain(field === 'name' || field === 'id' ? 'must' : field)
      for (const secret of SECRETS) expect(text).not.toContain(secret)
      expect(r.storage.listPhoneNumbers()).toEqual(numbersBefore)
      expect(
        (r.storage as ReturnType<typeof createSqliteStorage>).db
          .prepare('SELECT count(*) AS n FROM phone_number_credentials')
          .get(),
      ).toEqual({ n: 0 })
      expect(await workspacePhoneNumbers(r)).toEqual(docBefore)
      expect(storeBytes(dir).includes(Buffer.from(TWILIO.authToken))).toBe(false)
    })
  })

  it('[K4] a taken id is a 409 and leaves the existing number and its credentials as they were', async () => {
    const { r, bob } = await start()
    const first = await connect(r, bob, {
      id: 'pn-t',
      name: 'T',
      number: '+14155550105',
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(first.status).toBe(201)
    const sealed = r.storage.getSealedCredentials('pn-t')
    const again = await connect(r, bob, {
      id: 'pn-t',
      name: 'Other',
      number: '+14155550106',
      provider: 'quo',
      credentials: QUO,
    })
    expect([again.status, ((await again.json()) as { field: string }).field]).toEqual([409, 'id'])
    expect(r.storage.getSealedCredentials('pn-t')).toBe(sealed)
    expect(r.relay.providerAccounts.get('pn-t')).toMatchObject({
      provider: 'twilio',
      number: '+14155550105',
    })
  })
})
