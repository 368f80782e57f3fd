import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../testing/postgres.ts'
import { connectPostgres, type Sql } from './postgres-connect.ts'
import { migratePart } from './postgres-migrations.ts'

describe('PostgreSQL schema migrations', () => {
  let sql: Sql
  beforeAll(async () => {
    sql = connectPostgres(await createTestDatabase(), { max: 4 })
  })
  afterAll(() => sql.end())

  it('applies each step once, even when several relays start at the same moment', async () => {
    const steps = ['create table a (x int)', 'alter table a add column y int']
    const versions = await Promise.all([1, 2, 3].map(() => migratePart(sql, 'log', steps)))
    expect(versions).toEqual([2, 2, 2])
    await sql`insert into a (x, y) values (1, 2)`
    expect(await migratePart(sql, 'log', [...steps, 'alter table a add column z int'])).toBe(3)
    const [row] = await sql`select x, y, z from a`
    expect(row).toEqual({ x: 1, y: 2, z: null })
  })

  it('refuses a database migrated by a newer relay, naming the versions', async () => {
    await migratePart(sql, 'newer', ['select 1', 'select 2'])
    await expect(migratePart(sql, 'newer', ['select 1'])).rejects.toThrow(
      /newer schema is version 2, newer than this relay knows \(1\)/,
    )
  })

  it('keeps what was there when a step fails: the whole migration rolls back', async () => {
    await migratePart(sql, 'broken', ['create table b (x int)'])
    await expect(
      migratePart(sql, 'broken', ['create table b (x int)', 'create table c (x int)', 'not sql']),
    ).rejects.toThrow()
    const [version] = await sql`select version from schema_migrations where part = 'broken'`
    expect(version?.version).toBe(1)
    const tables = await sql`select 1 from pg_tables where tablename = 'c'`
    expect(tables).toHaveLength(0)
  })
})
