import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../storage/memory.ts'
import { createCredentialVault, CredentialsError } from './credential-vault.ts'
import { QUO, TWILIO } from './test-credentials.ts'
import { createProviderAccounts } from './provider-accounts.ts'

const key = () => new Uint8Array(randomBytes(32))

describe('createProviderAccounts: connected numbers for the webhook routes', () => {
  it('[K1] a connected number comes with its credentials opened; an unknown or unconnected number is null', () => {
    const storage = createMemoryStorage()
    const vault = createCredentialVault(key())
    storage.putPhoneNumber({ id: 'pn-g', name: 'Generic', number: '+14155550100' })
    storage.putPhoneNumber({
      id: 'pn-t',
      name: 'Twilio',
      number: '+14155550142',
      provider: 'twilio',
    })
    storage.putSealedCredentials('pn-t', vault.seal('pn-t', 'twilio', TWILIO))
    const accounts = createProviderAccounts(storage, vault)
    expect(accounts.get('pn-t')).toEqual({
      phoneNumberId: 'pn-t',
      number: '+14155550142',
      provider: 'twilio',
      credentials: TWILIO,
    })
    expect(accounts.get('pn-t')).toBe(accounts.get('pn-t'))
    expect(accounts.get('pn-g')).toBeNull()
    expect(accounts.get('pn-none')).toBeNull()
  })

  it('[K7] replaced credentials are used at the next call', () => {
    const storage = createMemoryStorage()
    const vault = createCredentialVault(key())
    storage.putPhoneNumber({ id: 'pn', name: 'P', number: '+14155550142', provider: 'twilio' })
    storage.putSealedCredentials('pn', vault.seal('pn', 'twilio', TWILIO))
    const accounts = createProviderAccounts(storage, vault)
    expect(accounts.get('pn')?.credentials).toEqual(TWILIO)
    const rotated = { ...TWILIO, authToken: 'rotated-token-0123' }
    storage.putSealedCredentials('pn', vault.seal('pn', 'twilio', rotated))
    expect(accounts.get('pn')?.credentials).toEqual(rotated)
    storage.transaction(() => {
      storage.putPhoneNumber({ id: 'pn', name: 'P', number: '+14155550142', provider: 'quo' })
      storage.putSealedCredentials('pn', vault.seal('pn', 'quo', QUO))
    })
    expect(accounts.get('pn')).toMatchObject({ provider: 'quo', credentials: QUO })
  })

  it('[K3] credentials sealed with another key are refused with a clear error, never opened', () => {
    const storage = createMemoryStorage()
    storage.putPhoneNumber({ id: 'pn', name: 'P', number: '+14155550142', provider: 'twilio' })
    storage.putSealedCredentials('pn', createCredentialVault(key()).seal('pn', 'twilio', TWILIO))
    const accounts = createProviderAccounts(storage, createCredentialVault(key()))
    expect(() => accounts.get('pn')).toThrow(CredentialsError)
    expect(() => accounts.get('pn')).toThrow(/sealed with key .* this relay holds key/)
  })
})
