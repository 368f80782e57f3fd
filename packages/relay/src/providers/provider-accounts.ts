/**
 * @module `createProviderAccounts`: the connected numbers as the providers' webhook routes see
 * them, credentials opened on first use and kept in memory while the stored seal is unchanged
 * (a replacement through the admin API is picked up at the next webhook).
 */
import type { Directory } from '../storage/directory.ts'
import type { CredentialVault } from './credential-vault.ts'
import { checkCredentials } from './credentials.ts'
import type { ProviderAccount, ProviderAccounts } from './provider-account.ts'

/**
 * Opens each connected number's credentials from the directory with `vault`. `get` throws a
 * CredentialsError when they were sealed with another key or fail their integrity check: an
 * operator's error the webhook answers with a 5xx, so the provider retries once it is fixed.
 */
export function createProviderAccounts(
  directory: Directory,
  vault: CredentialVault,
): ProviderAccounts {
  const cache = new Map<string, { sealed: string; account: ProviderAccount }>()
  return {
    get(phoneNumberId) {
      const pn = directory.getPhoneNumber(phoneNumberId)
      const sealed = pn?.provider ? directory.getSealedCredentials(phoneNumberId) : null
      if (!pn?.provider || sealed === null) {
        cache.delete(phoneNumberId)
        return null
      }
      const held = cache.get(phoneNumberId)
      if (
        held?.sealed === sealed &&
        held.account.number === pn.number &&
        held.account.provider === pn.provider
      )
        return held.account
      const opened = vault.open(sealed, pn.id, pn.provider)
      const checked = checkCredentials(pn.provider, opened)
      if (!checked.ok) throw new Error(`the stored credentials of ${pn.id}: ${checked.message}`)
      const account = { phoneNumberId: pn.id, number: pn.number, ...checked.value }
      cache.set(phoneNumberId, { sealed, account })
      return account
    },
  }
}
