import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../testing/postgres.ts'
import { connectPostgres, type Sql } from './postgres-connect.ts'
import { migrateRoomLog } from './postgres-log-schema.ts'
import { createPostgresRoomLog, type PostgresRoomLog } from './postgres-room-log.ts'
import { runRoomLogContract, type RoomLogHarness } from './room-log.contract.ts'

const bytes = (...values: number[]) => new Uint8Array(values)

/** A room log on the database at `url`, its own pool, its schema brought up to date. */
async function openLog(url: string, relayId = 'relay-a', onFenced?: (room: string) => void) {
  const sql = connectPostgres(url, { max: 4 })
  await migrateRoomLog(sql)
  const log = createPostgresRoomLog(sql, { relayId, onFenced })
  const close = async () => {
    await log.close()
    await sql.end()
  }
  return { sql, log, close }
}

async function harnessAt(url: string): Promise<RoomLogHarness> {
  const { sql, log, close } = await openLog(url)
  return {
    log,
    corrupt: async (room) => {
      await sql`update room_log set data = '\\xdeadbeef'::bytea where room = ${room}`
    },
    reopen: async () => {
      await close()
      return harnessAt(url)
    },
    close,
  }
}

runRoomLogContract('postgres', async () => harnessAt(await createTestDatabase()))

describe('the room log on PostgreSQL', () => {
  let url: string
  const opened: { close(): Promise<void> }[] = []
  const open = async (relayId?: string, onFenced?: (room: string) => void) => {
    const o = await openLog(url, relayId, onFenced)
    opened.push(o)
    return o
  }
  beforeAll(async () => {
    url = await createTestDatabase()
  })
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close().catch(() => {})
  })

  it('commits the appends made in one turn as one transaction, and the next ones as the next', async () => {
    const { log } = await open()
    await log.loadRoom('g:a')
    const before = log.appendCommits
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.appendUpdate(`g:${'abc'[i % 3]}`, bytes(i))),
    )
    expect(log.appendCommits - before).toBe(1)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    await log.appendUpdate('g:a', bytes(99))
    expect(log.appendCommits - before).toBe(2)
    // As the relay's rooms do: each flushes its batch in a callback of its own, in one turn.
    const spread = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<number>((resolve, reject) =>
            setImmediate(() => void log.appendUpdate(`g:${i}`, bytes(i)).then(resolve, reject)),
          ),
      ),
    )
    expect(log.appendCommits - before).toBe(3)
    expect(spread).toEqual([...spread].sort((a, b) => a - b))
  })

  it('while one room’s commit is in flight, other rooms’ appends go out in a second statement; the room’s own wait for it', async () => {
    const { sql, log } = await open()
    await log.loadRoom('f:a')
    await log.loadRoom('f:b')
    // Another session holds room a's row: a statement appending to a waits on it at the server.
    const holder = connectPostgres(url, { max: 1 })
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let locked!: () => void
    const holding = new Promise<void>((resolve) => (locked = resolve))
    const held = holder.begin(async (tx) => {
      await tx`select 1 from room where room = 'f:a' for update`
      locked()
      await released
    })
    try {
      await holding
      const settled: string[] = []
      const a1 = log.appendUpdate('f:a', bytes(1)).then((id) => (settled.push('a1'), id))
      await new Promise((r) => setImmediate(r))
      const a2 = log.appendUpdate('f:a', bytes(2)).then((id) => (settled.push('a2'), id))
      const b = await log.appendUpdate('f:b', bytes(3))
      expect(b).toBeGreaterThan(0)
      expect(settled).toEqual([])
      release()
      await held
      const [id1, id2] = await Promise.all([a1, a2])
      expect(settled).toEqual(['a1', 'a2'])
      expect(id2).toBeGreaterThan(id1)
      expect((await log.loadRoom('f:a')).updates.map((u) => u.id)).toEqual([id1, id2])
      expect(await sql`select count(*)::int as n from room_log where room = 'f:b'`).toEqual([
        { n: 1 },
      ])
    } finally {
      release()
      await held.catch(() => {})
      await holder.end()
    }
  })

  it('a write of another part commits in the transaction of the next appends, before them, or fails with them', async () => {
    const { sql, log } = await open()
    await sql`create table if not exists bindings (room text, client bigint, unique (room, client))`
    const before = log.appendCommits
    const bound = log.withNextCommit((tx) => tx`insert into bindings values ('w:r', 7)`)
    const id = await log.appendUpdate('w:r', bytes(1))
    await bound
    expect(log.appendCommits - before).toBe(1)
    expect(await sql`select client from bindings where room = 'w:r'`).toEqual([{ client: '7' }])
    const broken = log.withNextCommit((tx) => tx`insert into bindings values ('w:r', 7)`)
    const lost = log.appendUpdate('w:r', bytes(2))
    await expect(broken).rejects.toMatchObject({ code: 'io' })
    await expect(lost).rejects.toMatchObject({ code: 'io' })
    expect((await log.loadRoom('w:r')).updates.map((u) => u.id)).toEqual([id])
  })

  it('a snapshot that fails its checksum is refused as unreadable', async () => {
    const { sql, log } = await open()
    const id = await log.appendUpdate('s:x', bytes(1))
    await log.compact('s:x', bytes(5, 5), id)
    await sql`update room_snapshot set data = '\\x0505ff'::bytea where room = 's:x'`
    await expect(log.loadRoom('s:x')).rejects.toMatchObject({ code: 'unreadable' })
  })

  it('a room claimed by another relay refuses the old owner’s appends, compaction and epoch, and nothing of them is written', async () => {
    const lostRooms: string[] = []
    const a = await open('relay-a', (room) => lostRooms.push(room))
    const b = await open('relay-b')
    await a.log.loadRoom('f:r')
    const kept = await a.log.appendUpdate('f:r', bytes(1))
    await b.log.loadRoom('f:r')
    const [late, other] = await Promise.allSettled([
      a.log.appendUpdate('f:r', bytes(2)),
      a.log.appendUpdate('f:other', bytes(3)),
    ])
    expect(late).toMatchObject({ status: 'rejected', reason: { code: 'fenced' } })
    expect(other.status).toBe('fulfilled')
    expect(lostRooms).toEqual(['f:r'])
    await expect(a.log.appendUpdate('f:r', bytes(4))).rejects.toMatchObject({ code: 'fenced' })
    await expect(a.log.compact('f:r', bytes(9), kept)).rejects.toMatchObject({ code: 'fenced' })
    await expect(
      a.log.startEpoch('f:r', {
        id: 'e',
        retired: [],
        snapshot: bytes(9),
        upToId: kept,
        archive: [],
      }),
    ).rejects.toMatchObject({ code: 'fenced' })
    const stored = await b.log.loadRoom('f:r')
    expect(stored.snapshot).toBeNull()
    expect(stored.updates.map((u) => [...u.data])).toEqual([[1]])
    const next = await b.log.appendUpdate('f:r', bytes(5))
    expect(next).toBeGreaterThan(kept)
    // Loading the room again claims it back: the old owner serves it anew, b is fenced.
    expect((await a.log.loadRoom('f:r')).updates.map((u) => [...u.data])).toEqual([[1], [5]])
    await expect(b.log.appendUpdate('f:r', bytes(6))).rejects.toMatchObject({ code: 'fenced' })
    await a.log.appendUpdate('f:r', bytes(7))
  })

  it('appends racing a claim by another relay are either written before it or refused', async () => {
    const a = await open('relay-a')
    const b = await open('relay-b')
    await a.log.loadRoom('race')
    const appends = Array.from({ length: 200 }, (_, i) =>
      a.log.appendUpdate('race', bytes(i % 256)).then(
        (id) => id,
        (err: { code?: string }) => err.code,
      ),
    )
    const claimed = b.log.loadRoom('race')
    const results = await Promise.all(appends)
    await claimed
    const written = results.filter((r) => typeof r === 'number')
    expect(results.filter((r) => typeof r !== 'number').every((r) => r === 'fenced')).toBe(true)
    const stored = (await b.log.loadRoom('race')).updates.map((u) => u.id)
    expect(stored).toEqual(written)
  })

  it('a room only loaded (claimed) is not listed: nothing of it is stored', async () => {
    const { log } = await open()
    await log.loadRoom('l:empty')
    await log.appendUpdate('l:full', bytes(1))
    const rooms = await log.listRooms()
    expect(rooms).toContain('l:full')
    expect(rooms).not.toContain('l:empty')
  })

  it('check() passes while the store can reach PostgreSQL and throws once it is closed', async () => {
    const { log } = await open()
    await log.listRooms()
    expect(() => log.check()).not.toThrow()
    await log.close()
    expect(() => log.check()).toThrow(/closed/)
  })
})

describe('the room log when PostgreSQL is lost', () => {
  let pg: TestPostgres
  let sql: Sql
  let log: PostgresRoomLog
  beforeAll(async () => {
    pg = await startTestPostgres()
    sql = connectPostgres(await pg.createDatabase(), { max: 4 })
    await migrateRoomLog(sql)
    log = createPostgresRoomLog(sql, { relayId: 'relay-a' })
  })
  afterAll(async () => {
    await log?.close()
    await sql?.end({ timeout: 1 })
    await pg?.destroy()
  })

  it('[§4 durable] every append that resolved survives a crash of PostgreSQL, appends during the outage reject, and appends succeed again once it is back', async () => {
    await log.loadRoom('crash')
    const resolved: number[] = []
    const failures: unknown[] = []
    const append = (i: number) =>
      log.appendUpdate('crash', bytes(i % 256, i >> 8)).then(
        (id) => void resolved.push(id),
        (err: unknown) => void failures.push(err),
      )
    await Promise.all(Array.from({ length: 100 }, (_, i) => append(i)))
    expect(resolved).toHaveLength(100)
    // Appends keep coming while the server dies: each one resolves (committed) or rejects.
    let writing = true
    const pending: Promise<void>[] = []
    const writer = (async () => {
      for (let i = 100; writing; i++) {
        pending.push(append(i))
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    await pg.stop('immediate')
    writing = false
    await writer
    await Promise.all(pending)
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.every((e) => (e as { code?: string }).code === 'io')).toBe(true)
    const down = await Promise.allSettled([log.appendUpdate('crash', bytes(1)), log.loadRoom('b')])
    expect(down).toMatchObject([
      { status: 'rejected', reason: { code: 'io' } },
      { status: 'rejected', reason: { code: 'io' } },
    ])
    expect(() => log.check()).toThrow(/cannot be reached/)
    await pg.start()
    // postgres.js reconnects by itself: the same store appends again.
    let again: number | null = null
    while (again === null) again = await log.appendUpdate('crash', bytes(7)).catch(() => null)
    expect(() => log.check()).not.toThrow()
    const stored = (await log.loadRoom('crash')).updates.map((u) => u.id)
    expect(stored).toEqual(expect.arrayContaining([...resolved, again]))
  }, 30_000)
})
