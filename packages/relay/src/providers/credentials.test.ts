import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkConnection, checkCredentials } from './credentials.ts'
import { QUO, QUO_STANDARD, SECRETS, TELNYX, TWILIO } from './test-credentials.ts'

describe('[K4] credentials are checked field by field before anything is stored', () => {
  it("each provider's credentials pass, exactly as given", () => {
    expect(checkCredentials('twilio', TWILIO)).toEqual({
      ok: true,
      value: { provider: 'twilio', credentials: TWILIO },
    })
    expect(checkCredentials('telnyx', TELNYX)).toMatchObject({ ok: true })
    expect(checkCredentials('quo', QUO)).toMatchObject({ ok: true })
    expect(checkCredentials('quo', QUO_STANDARD)).toMatchObject({ ok: true })
  })

  it.each([
    ['twilio', null, 'credentials', 'credentials must be an object with accountSid and authToken'],
    ['twilio', [], 'credentials', 'credentials must be an object'],
    [
      'twilio',
      { accountSid: TWILIO.accountSid },
      'credentials.authToken',
      'credentials.authToken must be a non-empty string',
    ],
    [
      'twilio',
      { ...TWILIO, authToken: '   ' },
      'credentials.authToken',
      'credentials.authToken must be a non-empty string',
    ],
    [
      'twilio',
      { ...TWILIO, authToken: 42 },
      'credentials.authToken',
      'credentials.authToken must be a non-empty string',
    ],
    [
      'twilio',
      { ...TWILIO, authToken: 'two words' },
      'credentials.authToken',
      'credentials.authToken must have no spaces or control characters',
    ],
    [
      'twilio',
      { ...TWILIO, authToken: 'x'.repeat(513) },
      'credentials.authToken',
      'credentials.authToken must be at most 512 characters',
    ],
    [
      'twilio',
      { ...TWILIO, accountSid: 'SK' + '0'.repeat(32) },
      'credentials.accountSid',
      'credentials.accountSid must be the Account SID: AC followed by 32 hexadecimal digits',
    ],
    [
      'twilio',
      { ...TWILIO, accountSid: 'AC123' },
      'credentials.accountSid',
      'credentials.accountSid must be the Account SID',
    ],
    [
      'twilio',
      { ...TWILIO, apiKey: 'k' },
      'credentials.apiKey',
      'credentials.apiKey is not a twilio credential (expected accountSid and authToken)',
    ],
    [
      'telnyx',
      { ...TELNYX, publicKey: randomBytes(31).toString('base64') },
      'credentials.publicKey',
      "credentials.publicKey must be the account's Ed25519 public key in base64 (32 bytes)",
    ],
    [
      'telnyx',
      { ...TELNYX, publicKey: 'not*base64' },
      'credentials.publicKey',
      'credentials.publicKey must be',
    ],
    ['telnyx', { publicKey: TELNYX.publicKey }, 'credentials.apiKey', 'credentials.apiKey must'],
    [
      'quo',
      { ...QUO, webhookSecret: 'whsec_***' },
      'credentials.webhookSecret',
      "credentials.webhookSecret must be the webhook's signing key: base64, or whsec_ followed by base64",
    ],
    ['quo', { ...QUO, webhookSecret: '' }, 'credentials.webhookSecret', 'must be a non-empty'],
  ] as const)('%s %j → 400 naming %s', (provider, value, field, message) => {
    const checked = checkCredentials(provider, value)
    expect(checked).toMatchObject({ ok: false, field })
    if (checked.ok) return
    expect(checked.message).toContain(message)
    for (const secret of SECRETS) expect(checked.message).not.toContain(secret)
  })

  it('a field named like an object property (toString, __proto__) is refused as unknown too', () => {
    expect(checkCredentials('twilio', { ...TWILIO, toString: 'x' })).toMatchObject({
      ok: false,
      field: 'credentials.toString',
    })
    expect(
      checkCredentials('twilio', JSON.parse(`{"__proto__":{},${JSON.stringify(TWILIO).slice(1)}`)),
    ).toMatchObject({
      ok: false,
      field: 'credentials.__proto__',
    })
  })

  it('a connection needs a provider, the number in E.164 and its credentials; the current provider is the default', () => {
    const number = '+14155550142'
    expect(checkConnection({ credentials: TWILIO }, number)).toMatchObject({
      ok: false,
      field: 'provider',
      message: 'provider must be one of twilio, telnyx, quo to connect a number',
    })
    expect(checkConnection({ provider: 'vonage', credentials: TWILIO }, number)).toMatchObject({
      ok: false,
      field: 'provider',
      message: 'provider must be one of twilio, telnyx, quo',
    })
    for (const bad of [
      '4155550142',
      '+1415',
      '+1 415 555 0142',
      '+0415555014',
      '+1234567890123456',
    ])
      expect(checkConnection({ provider: 'twilio', credentials: TWILIO }, bad)).toMatchObject({
        ok: false,
        field: 'number',
      })
    expect(checkConnection({ provider: 'twilio' }, number)).toMatchObject({
      ok: false,
      field: 'credentials',
    })
    expect(checkConnection({ credentials: QUO }, number, 'quo')).toMatchObject({
      ok: true,
      value: { provider: 'quo', credentials: QUO },
    })
    expect(
      checkConnection({ provider: 'telnyx', credentials: TELNYX }, number, 'quo'),
    ).toMatchObject({ ok: true, value: { provider: 'telnyx' } })
  })
})
