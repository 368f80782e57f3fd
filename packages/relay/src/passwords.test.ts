/** Password hashes at a relay's cost (auth.ts): what the cost option may change, and what it may not. */
import { describe, expect, it } from 'vitest'
import {
  checkPasswordCost,
  createPasswords,
  DEFAULT_PASSWORD_COST,
  dummyHash,
  hashPassword,
} from './auth.ts'

describe('password hashes', () => {
  it('a hash names its own cost, so a relay at another cost still checks it', async () => {
    const stored = await hashPassword('correct horse', DEFAULT_PASSWORD_COST)
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '1'])
    const cheap = createPasswords({ N: 1024, r: 8, p: 1 })
    expect(await cheap.verify('correct horse', stored)).toBe(true)
    expect(await cheap.verify('correct hors', stored)).toBe(false)
    const made = await cheap.hash('correct horse')
    expect(made.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1'])
    expect(await createPasswords().verify('correct horse', made)).toBe(true)
  })

  it('two hashes of one password differ (a salt each)', async () => {
    const passwords = createPasswords({ N: 1024, r: 8, p: 1 })
    expect(await passwords.hash('same')).not.toBe(await passwords.hash('same'))
  })

  it('an unknown email is checked at the relay’s own cost, and never verifies', async () => {
    const passwords = createPasswords({ N: 2048, r: 8, p: 1 })
    expect(passwords.dummy.split('$').slice(0, 4)).toEqual(['scrypt', '2048', '8', '1'])
    expect(await passwords.verify('', passwords.dummy)).toBe(false)
    expect(createPasswords().dummy).toBe(dummyHash())
  })

  it('a cost scrypt would refuse or that exceeds the memory bound is refused when the relay starts, naming it', () => {
    expect(() => checkPasswordCost({ N: 1000, r: 8, p: 1 })).toThrow(/N must be a power of two/)
    expect(() => checkPasswordCost({ N: 1, r: 8, p: 1 })).toThrow(/N must be a power of two/)
    expect(() => checkPasswordCost({ N: 1024, r: 0, p: 1 })).toThrow(/r and \.p/)
    expect(() => checkPasswordCost({ N: 2 ** 20, r: 8, p: 1 })).toThrow(/64 MiB/)
    expect(() => createPasswords({ N: 3, r: 8, p: 1 })).toThrow(/passwordCost\.N/)
  })
})
