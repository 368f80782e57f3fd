/**
 * @module The provider credentials a `switchboard-relay` command takes: from a JSON file
 * (`--credentials-file`, `-` for standard input), so secrets stay out of shell history, or from
 * one flag per field. The admin checks them as the HTTP route does [K4]; nothing here echoes one.
 */
import { readFileSync } from 'node:fs'
import { AdminError } from './admin.ts'

/** Each credential field's flag (Twilio, Telnyx, Quo: docs/providers.md). */
export const CREDENTIAL_FLAGS = {
  'account-sid': 'accountSid',
  'auth-token': 'authToken',
  'api-key': 'apiKey',
  'public-key': 'publicKey',
  'webhook-secret': 'webhookSecret',
} as const
export type CredentialFlag = keyof typeof CREDENTIAL_FLAGS

/** The flags that carry a secret: given on the command line, they stay in the shell's history. */
const SECRET_FLAGS: readonly CredentialFlag[] = ['auth-token', 'api-key', 'webhook-secret']

export const credentialOptions = Object.fromEntries(
  [...Object.keys(CREDENTIAL_FLAGS), 'credentials-file', 'provider'].map((flag) => [
    flag,
    { type: 'string' as const },
  ]),
) as Record<CredentialFlag | 'credentials-file' | 'provider', { type: 'string' }>

export interface CredentialInput {
  /** The credentials object, or undefined when none was given. */
  credentials: Record<string, unknown> | undefined
  /** A line for stderr when a secret came as a flag. */
  warning?: string
}

/**
 * The credentials of `values`: the file's JSON object (or its `credentials` member, so the admin
 * API's body works as is), or the flags given; never both.
 */
export function credentialsFrom(
  values: Partial<Record<string, string | boolean | undefined>>,
  readFile: (path: string | number) => string = (path) => readFileSync(path, 'utf8'),
): CredentialInput {
  const flags = (Object.keys(CREDENTIAL_FLAGS) as CredentialFlag[]).filter(
    (flag) => typeof values[flag] === 'string',
  )
  const file = values['credentials-file']
  if (typeof file === 'string') {
    if (flags.length)
      throw new AdminError(
        400,
        'credentials-file',
        `give the credentials in a file or as flags, not both (--${flags[0]})`,
      )
    let text: string
    try {
      text = readFile(file === '-' ? 0 : file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
      throw new AdminError(400, 'credentials-file', `cannot read ${file} (${code})`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new AdminError(400, 'credentials-file', `${file} must hold a JSON object`)
    }
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
    if (!isObject(parsed))
      throw new AdminError(400, 'credentials-file', `${file} must hold a JSON object`)
    return { credentials: isObject(parsed.credentials) ? parsed.credentials : parsed }
  }
  if (!flags.length) return { credentials: undefined }
  const credentials = Object.fromEntries(
    flags.map((flag) => [CREDENTIAL_FLAGS[flag], values[flag]]),
  )
  const secret = flags.find((flag) => SECRET_FLAGS.includes(flag))
  return secret
    ? {
        credentials,
        warning: `note: --${secret} stays in your shell history; --credentials-file <file.json> (or - for stdin) keeps it out`,
      }
    : { credentials }
}
