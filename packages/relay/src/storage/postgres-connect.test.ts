import { Socket } from 'node:net'
import postgres from 'postgres'
import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../testing/postgres.ts'
import { connectPostgres, postgresOptions } from './postgres-connect.ts'

describe('connecting to PostgreSQL', () => {
  it('reads a unix socket directory from the host parameter, as libpq does', () => {
    expect(postgresOptions('postgres://u@/db?host=%2Frun%2Fpg')).toEqual({
      url: 'postgres://u@localhost/db',
      host: '/run/pg',
    })
    expect(postgresOptions('postgres://u:p@db.example:5433/x')).toEqual({
      url: 'postgres://u:p@db.example:5433/x',
    })
  })

  it('names what is wrong with a DATABASE_URL that is not a postgres URL', () => {
    expect(() => postgresOptions('mysql://x/y')).toThrow(/must start with postgres:\/\//)
    expect(() => postgresOptions('not a url')).toThrow(/not a URL/)
  })

  it('writes a statement made in a setImmediate callback in that turn (patched postgres.js), not a loop iteration later', async () => {
    const sql = connectPostgres(await createTestDatabase(), { max: 1 })
    await sql`select 1`
    const write = Socket.prototype.write
    let phase = 'this turn'
    const phases: string[] = []
    Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
      phases.push(phase)
      return (write as (...a: unknown[]) => boolean).apply(this, args)
    } as typeof write
    try {
      await new Promise<void>((resolve, reject) => {
        setImmediate(() => void sql`select 2`.then(() => resolve(), reject))
        // Runs right after that callback and its microtasks, before anything of the next turn.
        setImmediate(() => (phase = 'later'))
      })
    } finally {
      Socket.prototype.write = write
      await sql.end()
    }
    expect(phases[0]).toBe('this turn')
  })

  it('commits synchronously on its own connections, whatever the server default', async () => {
    const url = await createTestDatabase()
    const admin = connectPostgres(url, { max: 1 })
    const database = new URL(url.replace('?', '/?')).pathname.split('/')[1]!
    await admin.unsafe(`alter database "${database}" set synchronous_commit = off`)
    await admin.end()
    const { url: bare, host } = postgresOptions(url)
    const plain = postgres(bare, { host, max: 1 })
    const [before] = await plain`show synchronous_commit`
    await plain.end()
    expect(before?.synchronous_commit).toBe('off')
    const sql = connectPostgres(url, { max: 1 })
    try {
      const [row] = await sql`show synchronous_commit`
      expect(row?.synchronous_commit).toBe('on')
    } finally {
      await sql.end()
    }
  })
})
