import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../testing/postgres.ts'
import { connectPostgres, postgresOptions } from './postgres-connect.ts'
import { assertDurableServer } from './postgres-server-checks.ts'

describe('the PostgreSQL server a relay accepts', () => {
  it('a server that flushes its WAL at every commit passes', async () => {
    const sql = connectPostgres(await createTestDatabase(), { max: 1 })
    try {
      await expect(assertDurableServer(sql)).resolves.toBeUndefined()
    } finally {
      await sql.end()
    }
  })

  it('connections that commit without waiting for the flush are refused, naming the setting', async () => {
    const { url, host } = postgresOptions(await createTestDatabase())
    const sql = postgres(url, { host, max: 1, connection: { synchronous_commit: 'off' } })
    try {
      await expect(assertDurableServer(sql)).rejects.toThrow(/synchronous_commit = off/)
    } finally {
      await sql.end()
    }
  })

  describe('a server running with fsync = off', () => {
    let pg: TestPostgres
    beforeAll(async () => {
      pg = await startTestPostgres({ settings: { fsync: 'off' } })
    })
    afterAll(() => pg?.destroy())

    it('is refused, naming the setting and the fix', async () => {
      const sql = connectPostgres(await pg.createDatabase(), { max: 1 })
      try {
        await expect(assertDurableServer(sql)).rejects.toThrow(/fsync = off.*Set fsync = on/s)
      } finally {
        await sql.end()
      }
    })
  })
})
