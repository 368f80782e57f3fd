/**
 * @module The fixture of the invitation and profile tests: a relay on a fresh SQLite file (the
 * real store) with the harness's workspace and bob (admin), driven through `app.request`, its
 * clock set by the test.
 */
import { createNodeWebSocket } from './node/ws-upgrade.ts'
import { Hono } from 'hono'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { createRelay, type Relay } from './relay.ts'
import { createSqliteStorage, type SqliteStorage } from './storage/sqlite.ts'
import { PASSWORD, SECRET, WEBHOOK_SECRET, WORKSPACE } from './test-helpers.ts'
import { seedWorkspace } from './testing/workspace.ts'

export interface InviteRelay {
  relay: Relay
  storage: SqliteStorage
  /** Moves the relay's clock on (ms). */
  advance(ms: number): void
  /** A JSON call through `app.request` (POST when there is a body), Bearer `token`. */
  call(
    path: string,
    init?: { method?: string; token?: string; body?: unknown },
  ): Promise<{ status: number; body: Record<string, unknown> }>
  /** Signs in; the whole answer of `/api/login`. */
  login(email: string, password?: string): Promise<{ token: string; member: { id: string } }>
}

/** Call at a test file's top level: each relay made is closed after its test. */
export function inviteFixture(options: { publicUrl?: string } = {}) {
  const open: Relay[] = []
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close()
  })
  return async (): Promise<InviteRelay> => {
    let clock = Date.now()
    const storage = createSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'relay-invites-')), 'relay.db'),
    })
    const relay = createRelay({
      storage,
      secret: SECRET,
      webhookSecret: WEBHOOK_SECRET,
      upgradeWebSocket: createNodeWebSocket(new Hono()).upgradeWebSocket,
      now: () => clock,
      log: () => {},
      ...options,
    })
    open.push(relay)
    await seedWorkspace(relay, WORKSPACE)
    await relay.admin.createMember({
      id: 'bob',
      email: 'bob@example.com',
      name: 'Bob',
      role: 'admin',
      password: PASSWORD,
    })
    const call: InviteRelay['call'] = async (path, init = {}) => {
      const res = await relay.app.request(`http://relay.test${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    const login: InviteRelay['login'] = async (email, password = PASSWORD) => {
      const res = await call('/api/login', { body: { email, password } })
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`)
      return res.body as { token: string; member: { id: string } }
    }
    return { relay, storage, advance: (ms) => (clock += ms), call, login }
  }
}
