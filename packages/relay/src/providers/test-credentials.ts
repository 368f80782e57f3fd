/**
 * @module Credentials shaped like each provider's (made up here: no real account's), shared by the
 * credentials tests. The Telnyx key is a real Ed25519 public key's size; the Quo keys are base64.
 */
import { randomBytes } from 'node:crypto'

export const TWILIO = {
  accountSid: 'AC' + 'a1b2c3d4'.repeat(4),
  authToken: 'tw-auth-token-' + 'f00d'.repeat(5),
}
export const TELNYX = {
  apiKey: 'KEY0197TELNYXAPIKEY_telnyx-secret-key',
  publicKey: randomBytes(32).toString('base64'),
}
export const QUO = {
  apiKey: 'quo-api-key-' + 'beef'.repeat(6),
  webhookSecret: randomBytes(32).toString('base64'),
}
export const QUO_STANDARD = {
  apiKey: 'quo-api-key-standard-' + 'cafe'.repeat(5),
  webhookSecret: 'whsec_' + randomBytes(24).toString('base64'),
}
/** Every secret value above: none may appear in a response, a log line, a document or a file. */
export const SECRETS = [
  TWILIO.authToken,
  TELNYX.apiKey,
  QUO.apiKey,
  QUO.webhookSecret,
  QUO_STANDARD.apiKey,
  QUO_STANDARD.webhookSecret,
]
