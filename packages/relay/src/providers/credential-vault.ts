/**
 * @module Sealing providers' credentials at rest [K1][K3]: AES-256-GCM with a random 96-bit nonce
 * per seal, in a versioned envelope `sbc1.<key id>.<nonce>.<ciphertext + tag>` (base64url). The
 * additional data binds a sealed value to its phone number and provider, so a value copied to
 * another number's row does not open; the key id names the key that sealed it, so a relay can
 * later hold the old key beside a new one and re-seal (rotation) and a wrong key is named, not
 * guessed at.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { CREDENTIALS_KEY_BYTES } from './credentials-key.ts'
import type { ProviderName } from './provider-account.ts'

const VERSION = 'sbc1'
const NONCE_BYTES = 12
const TAG_BYTES = 16

export const CredentialsErrorCode = {
  /** Not an envelope this relay writes. */
  Malformed: 'malformed',
  /** Sealed with a key this relay does not hold. */
  UnknownKey: 'unknown-key',
  /** The key matches but the value fails authentication: modified, or moved from another number. */
  Rejected: 'rejected',
} as const
export type CredentialsErrorCode = (typeof CredentialsErrorCode)[keyof typeof CredentialsErrorCode]

/** Sealed credentials that cannot be opened; the message never holds any credential. */
export class CredentialsError extends Error {
  readonly code: CredentialsErrorCode
  constructor(code: CredentialsErrorCode, message: string) {
    super(message)
    this.name = 'CredentialsError'
    this.code = code
  }
}

/** Seals and opens one number's credentials (a JSON object) with the relay's credentials key. */
export interface CredentialVault {
  /** The id of the key new seals use (not secret: an HMAC of a label under the key). */
  readonly keyId: string
  seal(phoneNumberId: string, provider: ProviderName, credentials: object): string
  /** The credentials object, or a CredentialsError saying why it cannot be opened. */
  open(sealed: string, phoneNumberId: string, provider: ProviderName): Record<string, unknown>
}

/** A key's public id: it names the key in envelopes and errors without revealing it. */
export const keyIdOf = (key: Uint8Array): string =>
  createHmac('sha256', key)
    .update('switchboard credentials key id')
    .digest()
    .subarray(0, 8)
    .toString('base64url')

const additionalData = (keyId: string, phoneNumberId: string, provider: ProviderName) =>
  Buffer.from(`${VERSION}\u001f${keyId}\u001f${phoneNumberId}\u001f${provider}`)

/**
 * A vault over `keys`: the first seals, any of them opens (the ones after it are older keys kept
 * for a rotation under way).
 */
export function createCredentialVault(keys: Uint8Array | readonly Uint8Array[]): CredentialVault {
  const list = keys instanceof Uint8Array ? [keys] : [...keys]
  if (list.length === 0) throw new Error('a credential vault needs a key')
  for (const key of list)
    if (key.byteLength !== CREDENTIALS_KEY_BYTES)
      throw new Error(`a credentials key is ${CREDENTIALS_KEY_BYTES} bytes`)
  const byId = new Map(list.map((key) => [keyIdOf(key), key]))
  const keyId = keyIdOf(list[0]!)
  const sealKey = list[0]!

  return {
    keyId,
    seal(phoneNumberId, provider, credentials) {
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = createCipheriv('aes-256-gcm', sealKey, nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(additionalData(keyId, phoneNumberId, provider))
      const body = Buffer.concat([
        cipher.update(JSON.stringify(credentials), 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ])
      return [VERSION, keyId, nonce.toString('base64url'), body.toString('base64url')].join('.')
    },
    open(sealed, phoneNumberId, provider) {
      const parts = sealed.split('.')
      const [version, id, nonceText, bodyText] = parts
      if (parts.length !== 4 || version !== VERSION || !id || !nonceText || !bodyText)
        throw new CredentialsError(
          'malformed',
          `the stored credentials of ${phoneNumberId} are not a ${VERSION} envelope`,
        )
      const key = byId.get(id)
      if (!key)
        throw new CredentialsError(
          'unknown-key',
          `the credentials of ${phoneNumberId} were sealed with key ${id}, but this relay holds key ${keyId}: ` +
            'start it with the CREDENTIALS_KEY (or SWITCHBOARD_SECRET) that sealed them, or connect the number again',
        )
      const nonce = Buffer.from(nonceText, 'base64url')
      const body = Buffer.from(bodyText, 'base64url')
      try {
        if (nonce.byteLength !== NONCE_BYTES || body.byteLength < TAG_BYTES) throw new Error()
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
        decipher.setAAD(additionalData(id, phoneNumberId, provider))
        decipher.setAuthTag(body.subarray(body.byteLength - TAG_BYTES))
        const plain = Buffer.concat([
          decipher.update(body.subarray(0, body.byteLength - TAG_BYTES)),
          decipher.final(),
        ])
        const value: unknown = JSON.parse(plain.toString('utf8'))
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error()
        return value as Record<string, unknown>
      } catch {
        throw new CredentialsError(
          'rejected',
          `the stored credentials of ${phoneNumberId} (${provider}) fail their integrity check: ` +
            'modified, or sealed for another number; connect the number again',
        )
      }
    },
  }
}
