import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createCredentialVault, CredentialsError, keyIdOf } from './credential-vault.ts'
import { deriveCredentialsKey, parseCredentialsKey } from './credentials-key.ts'
import { TWILIO } from './test-credentials.ts'

const key = () => new Uint8Array(randomBytes(32))
const refusal = (fn: () => unknown): CredentialsError => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CredentialsError)
    return err as CredentialsError
  }
  throw new Error('expected a CredentialsError')
}

describe('the credential vault (AES-256-GCM, versioned envelope)', () => {
  it('[K1] sealed credentials open again, and the envelope holds none of them in clear', () => {
    const vault = createCredentialVault(key())
    const sealed = vault.seal('pn-1', 'twilio', TWILIO)
    expect(sealed.split('.')).toHaveLength(4)
    expect(sealed.startsWith(`sbc1.${vault.keyId}.`)).toBe(true)
    for (const text of [TWILIO.authToken, TWILIO.accountSid]) {
      expect(sealed).not.toContain(text)
      expect(sealed).not.toContain(Buffer.from(text).toString('base64url'))
    }
    expect(vault.open(sealed, 'pn-1', 'twilio')).toEqual(TWILIO)
    // A fresh nonce each time: the same credentials never seal to the same text.
    expect(vault.seal('pn-1', 'twilio', TWILIO)).not.toBe(sealed)
  })

  it('[K3] another key cannot open them: a clear error naming both keys, never a credential', () => {
    const sealed = createCredentialVault(key()).seal('pn-1', 'twilio', TWILIO)
    const other = createCredentialVault(key())
    const err = refusal(() => other.open(sealed, 'pn-1', 'twilio'))
    expect(err.code).toBe('unknown-key')
    expect(err.message).toContain(sealed.split('.')[1]!)
    expect(err.message).toContain(other.keyId)
    expect(err.message).toMatch(/CREDENTIALS_KEY/)
    expect(err.message).not.toContain(TWILIO.authToken)
  })

  it('[K3] a modified value, or one moved to another number or provider, does not open', () => {
    const vault = createCredentialVault(key())
    const sealed = vault.seal('pn-1', 'twilio', TWILIO)
    const [v, id, nonce, body] = sealed.split('.') as [string, string, string, string]
    const flipped = body.slice(0, 5) + (body[5] === 'A' ? 'B' : 'A') + body.slice(6)
    for (const [value, pn, provider] of [
      [[v, id, nonce, flipped].join('.'), 'pn-1', 'twilio'],
      [sealed, 'pn-2', 'twilio'],
      [sealed, 'pn-1', 'quo'],
      [[v, id, nonce.slice(2), body].join('.'), 'pn-1', 'twilio'],
    ] as const)
      expect(refusal(() => vault.open(value, pn, provider)).code).toBe('rejected')
    for (const value of ['', 'plain text', `sbc2.${id}.${nonce}.${body}`, `sbc1.${id}.${nonce}`])
      expect(refusal(() => vault.open(value, 'pn-1', 'twilio')).code).toBe('malformed')
  })

  it('[K3] a vault holding an older key beside the new one opens both and seals with the new (rotation)', () => {
    const old = key()
    const sealedBefore = createCredentialVault(old).seal('pn-1', 'twilio', TWILIO)
    const vault = createCredentialVault([key(), old])
    expect(vault.open(sealedBefore, 'pn-1', 'twilio')).toEqual(TWILIO)
    expect(vault.keyId).not.toBe(keyIdOf(old))
    expect(vault.seal('pn-1', 'twilio', TWILIO).split('.')[1]).toBe(vault.keyId)
  })

  it('a key of the wrong size is refused', () => {
    expect(() => createCredentialVault(new Uint8Array(16))).toThrow(/32 bytes/)
    expect(() => createCredentialVault([])).toThrow(/needs a key/)
  })
})

describe('the credentials key', () => {
  it('[K2] CREDENTIALS_KEY is 32 bytes in base64 (standard or URL alphabet, padding optional)', () => {
    const bytes = randomBytes(32)
    for (const text of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('base64').replace(/=+$/, ''),
      ` ${bytes.toString('base64')}\n`,
    ])
      expect(parseCredentialsKey(text)).toEqual(new Uint8Array(bytes))
    for (const text of [
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      bytes.toString('hex'),
      bytes.toString('base64').slice(0, 20) + '!' + bytes.toString('base64').slice(21),
      'x'.repeat(44),
      '',
    ])
      expect(parseCredentialsKey(text)).toBeNull()
  })

  it('[K2] without CREDENTIALS_KEY the key is derived from SWITCHBOARD_SECRET under its own label, never the secret itself', () => {
    const secret = randomBytes(32).toString('base64')
    const derived = deriveCredentialsKey(secret)
    expect(derived).toHaveLength(32)
    expect(deriveCredentialsKey(secret)).toEqual(derived)
    expect(Buffer.from(derived).equals(Buffer.from(secret, 'base64'))).toBe(false)
    expect(Buffer.from(derived).equals(Buffer.from(secret).subarray(0, 32))).toBe(false)
    expect(deriveCredentialsKey(secret + 'x')).not.toEqual(derived)
  })
})
