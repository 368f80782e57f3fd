/** @module Secrets kept in DATA_DIR: generated once (mode 0600) unless the environment sets them. */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** `fromEnv` when set; else the file `name` in `dataDir`, created with a random secret if absent. */
export function secretFrom(dataDir: string, name: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv
  const path = join(dataDir, name)
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' })
  return secret
}
