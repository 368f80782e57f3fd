/**
 * @module Where the CLI keeps a login: `<data>/session.json` (relay URLs, token, member, this
 * replica's device id) beside `<data>/replica/`, the file storage of the local replica.
 * `--data DIR` picks the directory; otherwise `~/.switchboard/<workspace>`, the last login
 * being remembered in `~/.switchboard/current`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Member } from '@switchboard/client/node'

export interface Session {
  /** The relay that last answered (calls try it first). */
  url: string
  /** Every relay given at login, when several were (absent in older session files). */
  urls?: string[]
  token: string
  /** Single-use: every refresh writes the one that replaced it (absent in older session files). */
  refreshToken?: string
  expiresAt: number
  member: Member
  /** One device per replica directory; the replica's lock keeps it to one process at a time. */
  deviceId: string
  lastSyncedAt: number | null
}

export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.SWITCHBOARD_HOME ?? join(homedir(), '.switchboard')
}

/** The data directory of a new login. */
export function dataDirFor(url: string, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag
  if (env.SWITCHBOARD_DATA) return env.SWITCHBOARD_DATA
  const workspace = new URL(url).host.replace(/[^A-Za-z0-9.-]/g, '-')
  return join(homeDir(env), workspace)
}

/** The data directory of the current login. */
export function currentDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag
  if (env.SWITCHBOARD_DATA) return env.SWITCHBOARD_DATA
  const pointer = join(homeDir(env), 'current')
  if (!existsSync(pointer))
    throw new CliError('not logged in: run `switchboard login <url> --email …`')
  return readFileSync(pointer, 'utf8').trim()
}

export function replicaDir(dataDir: string): string {
  return join(dataDir, 'replica')
}

export function readSession(dataDir: string): Session {
  const path = join(dataDir, 'session.json')
  if (!existsSync(path))
    throw new CliError(
      `not logged in (no session in ${dataDir}): run \`switchboard login <url> --email …\``,
    )
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Session
  } catch {
    throw new CliError(`session file ${path} is unreadable: log in again`)
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a session. */
export function writeSession(dataDir: string, session: Session): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, 'session.json')
  writeFileSync(path + '.tmp', JSON.stringify(session, null, 2) + '\n', { mode: 0o600 })
  chmodSync(path + '.tmp', 0o600)
  renameSync(path + '.tmp', path)
}

export function rememberCurrent(dataDir: string, env: NodeJS.ProcessEnv): void {
  if (env.SWITCHBOARD_DATA) return
  const home = homeDir(env)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  writeFileSync(join(home, 'current'), dataDir + '\n')
}
