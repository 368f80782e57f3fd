/**
 * @module A phone number connected through a provider (issue 22): which provider, and the
 * credentials the relay needs to check its webhooks and, later, to send through it. Credentials
 * are sealed at rest (credentials.ts) and opened only on the relay, never sent to a client.
 */

export const ProviderName = { Twilio: 'twilio', Telnyx: 'telnyx', Quo: 'quo' } as const
export type ProviderName = (typeof ProviderName)[keyof typeof ProviderName]
export const providerNames: readonly ProviderName[] = Object.values(ProviderName)

export interface TwilioCredentials {
  accountSid: string
  authToken: string
}
export interface TelnyxCredentials {
  apiKey: string
  /** The account's Ed25519 public key (base64), which signs its webhooks. */
  publicKey: string
}
export interface QuoCredentials {
  apiKey: string
  /** The webhook's signing key: base64 (app webhooks) or `whsec_…` (Standard Webhooks). */
  webhookSecret: string
}

/** A connected number, its credentials opened (only ever held in the relay's memory). */
export type ProviderAccount = { phoneNumberId: string; number: string } & (
  | { provider: 'twilio'; credentials: TwilioCredentials }
  | { provider: 'telnyx'; credentials: TelnyxCredentials }
  | { provider: 'quo'; credentials: QuoCredentials }
)

/** Looks up the connected number a webhook names (by the phone number id in its path). */
export interface ProviderAccounts {
  /** null when the number does not exist or is not connected through a provider. */
  get(phoneNumberId: string): ProviderAccount | null
}
