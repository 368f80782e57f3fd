import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runMigrate } from './cli-migrate.ts'
import { seedDemo } from './demo.ts'
import { createRelay } from './relay.ts'
import { startRelayRegistry } from './scale/relay-registry.ts'
import { connectPostgres } from './storage/postgres-connect.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
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
})
