/**
 * @module `createProviderAccounts`: the connected numbers as the providers' webhook routes see
 * them, credentials opened on first use and kept in memory until the directory says a number or
 * its credentials changed (a replacement through the admin API is picked up at the next webhook;
 * one written by another process, such as `switchboard-relay set-credentials`, after a restart).
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
  // Read at every webhook unless nothing changed since: two directory reads per post showed.
  let seenRevision = -1
  const current = new Map<string, ProviderAccount | null>()
  return {
    get(phoneNumberId) {
      const revision = directory.phoneNumbersRevision()
      if (revision !== seenRevision) {
        current.clear()
        seenRevision = revision
      }
      const known = current.get(phoneNumberId)
      if (known !== undefined) return known
      const account = open(phoneNumberId)
      if (current.size >= MAX_CURRENT) current.clear()
      current.set(phoneNumberId, account)
      return account
    },
  }

  function open(phoneNumberId: string): ProviderAccount | null {
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
  }
}

/** Numbers kept at once (unknown ids probed by a stranger included). */
const MAX_CURRENT = 10_000
