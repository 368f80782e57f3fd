import { conversationIds } from '@switchboard/core'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { runMigrate } from './cli-migrate.ts'
import { seedDemo } from './demo.ts'
import { createRelay } from './relay.ts'
import { startRelayRegistry } from './scale/relay-registry.ts'
import { connectPostgres } from './storage/postgres-connect.ts'
import { createPostgresStorage } from './storage/postgres.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { incoming, sign, startTestRelay } from './test-helpers.ts'
import { startTestRelayServer, type TestRelayServer } from './testing/index.ts'
import { createTestDatabase } from './testing/postgres.ts'

/** A DATA_DIR whose SQLite store holds the demo workspace. */
async function demoDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'migrate-'))
  const relay = createRelay({
    storage: createSqliteStorage({ path: join(dataDir, 'relay.db') }),
    secret: 'migrate-test-secret-0123456789',
    webhookSecret: 'migrate-test-webhook',
    upgradeWebSocket: (() => {
      throw new Error('no sockets here')
    }) as never,
    log: () => {},
  })
  await seedDemo(relay, { password: 'pw', conversations: 40, now: Date.UTC(2026, 11, 1) })
  await relay.close()
  return dataDir
}

const run = async (args: Parameters<typeof runMigrate>[0], dataDir: string) => {
  const lines: string[] = []
  const code = await runMigrate(args, dataDir, (l) => lines.push(l))
  return { code, out: lines.join('\n') }
}

describe('switchboard-relay migrate', () => {
  it(
    'copies a SQLite store into PostgreSQL and back, each copy verified; never into a store that holds anything',
    { timeout: 120_000 },
    async () => {
      const dataDir = await demoDataDir()
      const url = await createTestDatabase()
      const to = await run({ to: url }, dataDir)
      expect(to.out).toContain('verified: every room')
      expect(to.code).toBe(0)
      expect(to.out).toMatch(/copied \d+ rooms/)
      expect(to.out).toContain('5 members')

      const again = await run({ to: url }, dataDir)
      expect(again.code).toBe(1)
      expect(again.out).toMatch(/the target store is not empty \(\d+ rooms, 5 members/)

      const back = mkdtempSync(join(tmpdir(), 'migrate-back-'))
      const from = await run({ from: url }, back)
      expect(from.out).toContain('verified: every room')
      expect(from.code).toBe(0)
      const copy = createSqliteStorage({ path: join(back, 'relay.db') })
      const original = createSqliteStorage({ path: join(dataDir, 'relay.db') })
      expect(copy.listMembers()).toEqual(original.listMembers())
      expect((await copy.listRooms()).sort()).toEqual((await original.listRooms()).sort())
      await copy.close()
      await original.close()
    },
  )

  it('refuses a database that relays are serving, and a command without its direction', async () => {
    const url = await createTestDatabase()
    const sql = connectPostgres(url, { max: 2 })
    const registry = await startRelayRegistry(sql, { relayId: 'live-1', internalUrl: 'http://x' })
    try {
      const busy = await run({ from: url }, mkdtempSync(join(tmpdir(), 'migrate-busy-')))
      expect(busy.code).toBe(2)
      expect(busy.out).toContain('relays are serving this database (live-1): stop them first')
    } finally {
      await registry.stop()
      await sql.end()
    }
    const neither = await run({}, mkdtempSync(join(tmpdir(), 'migrate-none-')))
    expect(neither.code).toBe(1)
    expect(neither.out).toContain('exactly one of --to')
  })

  it(
    '[W6] a webhook stays exactly once across migrations: a retry after SQLite → PostgreSQL is a duplicate; PostgreSQL → SQLite is refused while accepted rows wait in the inbound queue, and copies them once applied',
    { timeout: 60_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'migrate-inbound-'))
      const first = incoming('conv-m1', 'pn-a')
      const second = incoming('conv-m2', 'pn-a')
      const onSqlite = await startTestRelay({
        storage: createSqliteStorage({ path: join(dataDir, 'relay.db') }),
      })
      expect(await delivered(onSqlite, first)).toBe(false)
      await onSqlite.close()

      const url = await createTestDatabase()
      expect((await run({ to: url }, dataDir)).code).toBe(0)
      const pgStorage = await createPostgresStorage({ url, relayId: 'pg-1' })
      const onPostgres = await startTestRelayServer({ storage: pgStorage })
      // The activity id came over with the directory: the retry is answered, nothing queued.
      expect(await delivered(onPostgres, first)).toBe(true)
      const [queued] = await pgStorage.sql<{ n: number }[]>`
        select count(*)::int as n from inbound where event_id = ${first.id}`
      expect(queued!.n).toBe(0)
      await onPostgres.close()

      // A relay took a webhook in and stopped before applying it: its rows wait.
      const stranded = await createPostgresStorage({ url, relayId: 'pg-2' })
      await stranded.inbound.enqueue([
        {
          provider: 'generic',
          eventId: second.id,
          payload: JSON.stringify(second),
          rooms: ['inbox:pn-a', 'conversation:conv-m2'],
        },
      ])
      stranded.recordActivity(second.id)
      await stranded.whenDurable()
      await stranded.close()

      const back = mkdtempSync(join(tmpdir(), 'migrate-inbound-back-'))
      const refused = await run({ from: url }, back)
      expect(refused.code).toBe(2)
      expect(refused.out).toContain(
        'error: 2 accepted webhook rows wait in the inbound queue, not applied to their rooms yet (conversation:conv-m2, inbox:pn-a)',
      )
      expect(refused.out).toContain('Start one relay on this database')

      // What the message says to do: a relay on the database applies the rows as it starts.
      const applier = await createPostgresStorage({ url, relayId: 'pg-3' })
      const draining = await startTestRelayServer({ storage: applier })
      for (let n = -1; n !== 0;) {
        const [row] = await applier.sql<{ n: number }[]>`
          select count(*)::int as n from inbound where done_at is null`
        n = row!.n
        if (n !== 0) await new Promise((r) => setTimeout(r, 20))
      }
      await draining.close()

      const copied = await run({ from: url }, back)
      expect(copied.out).toContain('verified: every room')
      expect(copied.code).toBe(0)
      const copy = createSqliteStorage({ path: join(back, 'relay.db') })
      const doc = new Y.Doc()
      const inbox = await copy.loadRoom('inbox:pn-a')
      if (inbox.snapshot) Y.applyUpdate(doc, inbox.snapshot)
      for (const u of inbox.updates) Y.applyUpdate(doc, u.data)
      expect(conversationIds(doc).sort()).toEqual(['conv-m1', 'conv-m2'])
      await copy.close()
      const backOnSqlite = await startTestRelayServer({ dataDir: back })
      expect(await delivered(backOnSqlite, first)).toBe(true)
      expect(await delivered(backOnSqlite, second)).toBe(true)
      await backOnSqlite.close()
    },
  )
})

/** Posts an activity's webhook; answers whether the relay called it a duplicate. */
async function delivered(relay: TestRelayServer, activity: ReturnType<typeof incoming>) {
  const raw = JSON.stringify(activity)
  const res = await fetch(`${relay.url}/api/webhooks/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchboard-signature': sign(raw) },
    body: raw,
  })
  expect(res.status).toBe(202)
  return ((await res.json()) as { results: { duplicate: boolean }[] }).results[0]!.duplicate
}
