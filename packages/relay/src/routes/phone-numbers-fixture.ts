/**
 * @module The admin phone-number tests' relay: real HTTP on a real SQLite file, bob (admin)
 * besides the workspace, and everything it logged or printed captured, so the tests can look for
 * credentials in the store's bytes, the workspace document and the logs.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, vi } from 'vitest'
import type { RelayServerOptions } from '../node/server.ts'
import { createSqliteStorage } from '../storage/sqlite.ts'
import { api, PASSWORD, startTestRelay, type TestRelay } from '../test-helpers.ts'

export const PUBLIC_URL = 'https://relay.example.com/switchboard'

export interface Started {
  r: TestRelay
  dir: string
  alice: string
  bob: string
}

export interface StartOptions {
  dir?: string
  publicUrl?: string
  credentialsKey?: Uint8Array
  /** Further relay options (provider API bases, outbox timing…). */
  relay?: Partial<RelayServerOptions>
}

/**
 * Registers the file's hooks: relays started by `start` close after each test (unless taken
 * with `keep`), and `printed()` is what the relays logged and the console printed during it.
 */
export function phoneNumbersFixture() {
  const cleanups: (() => unknown)[] = []
  let printed: string[] = []
  beforeEach(() => {
    printed = []
    for (const method of ['log', 'info', 'warn', 'error'] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '))
      })
  })
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn()
    vi.restoreAllMocks()
  })

  /** A relay on a SQLite file in `dir` (a fresh one unless given), with bob (admin). */
  async function start(options: StartOptions = {}): Promise<Started> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'relay-providers-'))
    const r = await startTestRelay({
      storage: createSqliteStorage({ path: join(dir, 'relay.db') }),
      log: (event) => printed.push(JSON.stringify(event)),
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
      ...(options.credentialsKey === undefined ? {} : { credentialsKey: options.credentialsKey }),
      ...options.relay,
    })
    cleanups.push(() => r.close())
    if (!r.storage.getMember('bob'))
      await r.relay.admin.createMember({
        id: 'bob',
        email: 'bob@example.com',
        name: 'Bob',
        role: 'admin',
        password: PASSWORD,
      })
    return {
      r,
      dir,
      alice: await r.login('alice@example.com'),
      bob: await r.login('bob@example.com'),
    }
  }
  return {
    start,
    printed: () => printed.join('\n'),
    /** Takes the relays started so far out of the after-each cleanup (the caller closes them). */
    keep: () => void cleanups.splice(0),
  }
}

/** The bytes of every file of the store (the database, its WAL and shared memory). */
export const storeBytes = (dir: string): Buffer =>
  Buffer.concat(
    readdirSync(dir)
      .filter((f) => f.startsWith('relay.db'))
      .map((f) => readFileSync(join(dir, f))),
  )

/** The workspace document's phone numbers, as the relay holds them. */
export const workspacePhoneNumbers = async (r: TestRelay) => {
  let seen: unknown = null
  await r.relay.writeRoom('workspace', (doc) => {
    seen = doc.getMap('phoneNumbers').toJSON()
  })
  return seen as Record<string, unknown>
}

export const connect = (r: TestRelay, token: string, body: unknown) =>
  api(r, '/api/admin/phone-numbers', { token, body })
