import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createSqliteStorage, type SqliteStorage } from './sqlite.ts'

const ROOM = 'inbox:pn-a'
/** Bytes only compared, never decoded: big enough for four or five 256-KiB parts. */
const bigSnapshot = () => new Uint8Array(randomBytes(1_100_000))

describe('sqlite snapshots in parts', () => {
  const open: SqliteStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
  })
  const dbPath = () => join(mkdtempSync(join(tmpdir(), 'relay-parts-')), 'relay.db')
  const storage = (path = dbPath()) => {
    const s = createSqliteStorage({ path })
    open.push(s)
    return s
  }
  const partRows = (s: SqliteStorage) =>
    s.db.prepare('SELECT gen, count(*) AS n FROM snapshot_parts GROUP BY gen ORDER BY gen').all()

  it('[§4 durable] appends made while a big snapshot is written are stored before it finishes, and the snapshot loads back byte for byte', async () => {
    const s = storage()
    const upTo = await s.appendUpdate(ROOM, new Uint8Array([1]))
    // 32 parts: the append has the time of 31 commits to get in between, even on a busy machine.
    const snapshot = new Uint8Array(randomBytes(32 * 256 * 1024))
    const order: string[] = []
    const compacted = s.compact(ROOM, snapshot, upTo).then(() => order.push('snapshot'))
    // Issued after the compaction: it does not wait for the whole snapshot to be written.
    const appended = s.appendUpdate(ROOM, new Uint8Array([2])).then((id) => {
      order.push('append')
      return id
    })
    const [later] = await Promise.all([appended, compacted])
    expect(order).toEqual(['append', 'snapshot'])

    const stored = await s.loadRoom(ROOM)
    expect(Buffer.from(stored.snapshot!).equals(Buffer.from(snapshot))).toBe(true)
    expect(stored.updates).toEqual([{ id: later, data: new Uint8Array([2]) }])
    expect(partRows(s)).toEqual([{ gen: 1, n: 32 }])
    // Log rows the snapshot holds are never read, even before the sweep has dropped them all.
    s.db
      .prepare('INSERT INTO updates (id, room, data, crc) VALUES (?, ?, ?, 0)')
      .run(upTo, ROOM, Buffer.from([9]))
    expect((await s.loadRoom(ROOM)).updates.map((u) => u.id)).toEqual([later])
    expect(await s.logSize(ROOM)).toEqual({ count: 1, bytes: 1 })
  })

  it('[§4 bounded] the next snapshot replaces the parts: older ones are swept, a small one is kept inline', async () => {
    const s = storage()
    const first = await s.appendUpdate(ROOM, new Uint8Array([1]))
    await s.compact(ROOM, bigSnapshot(), first)
    const second = bigSnapshot()
    await s.compact(ROOM, second, first)
    await untilRows(s, [{ gen: 2, n: 5 }])
    expect(Buffer.from((await s.loadRoom(ROOM)).snapshot!).equals(Buffer.from(second))).toBe(true)

    await s.compact(ROOM, new Uint8Array([7, 7]), first)
    expect(partRows(s)).toEqual([])
    expect((await s.loadRoom(ROOM)).snapshot).toEqual(new Uint8Array([7, 7]))
  })

  it('[§4 durable] two big snapshots written at once (two rooms, or one after another) each land whole: a sweep never takes newer parts', async () => {
    const s = storage()
    const first = await s.appendUpdate(ROOM, new Uint8Array([1]))
    const other = await s.appendUpdate('inbox:pn-b', new Uint8Array([2]))
    const [a, b, c] = [bigSnapshot(), bigSnapshot(), bigSnapshot()]
    const done: string[] = []
    await Promise.all([
      s.compact(ROOM, a, first).then(() => done.push('a')),
      s.compact(ROOM, b, first).then(() => done.push('b')),
      s.compact('inbox:pn-b', c, other).then(() => done.push('c')),
      // A small one answers first; each promise still settles for its own compaction.
      s.compact('inbox:pn-c', new Uint8Array([3]), 0).then(() => done.push('small')),
    ])
    expect(done[0]).toBe('small')
    await untilRows(s, [
      { gen: 1, n: 5 },
      { gen: 2, n: 5 },
    ])
    expect(Buffer.from((await s.loadRoom(ROOM)).snapshot!).equals(Buffer.from(b))).toBe(true)
    expect(Buffer.from((await s.loadRoom('inbox:pn-b')).snapshot!).equals(Buffer.from(c))).toBe(
      true,
    )
  })

  it('[§4 durable] parts left by an interrupted write are ignored on load and swept by the next snapshot; a damaged part refuses the room', async () => {
    const path = dbPath()
    const s = storage(path)
    const first = await s.appendUpdate(ROOM, new Uint8Array([1]))
    const snapshot = bigSnapshot()
    await s.compact(ROOM, snapshot, first)
    // As if the relay died after writing parts of generation 9 but before switching to them.
    s.db
      .prepare('INSERT INTO snapshot_parts (room, gen, part, data) VALUES (?, 9, 0, ?)')
      .run(ROOM, Buffer.alloc(1000))
    expect(Buffer.from((await s.loadRoom(ROOM)).snapshot!).equals(Buffer.from(snapshot))).toBe(true)
    const next = bigSnapshot()
    await s.compact(ROOM, next, first)
    await untilRows(s, [{ gen: 10, n: 5 }])

    s.db.prepare("UPDATE snapshot_parts SET data = X'00' WHERE room = ? AND part = 2").run(ROOM)
    await expect(s.loadRoom(ROOM)).rejects.toMatchObject({ code: 'unreadable' })
  })

  it('opens a store written before snapshots had parts, and keeps its snapshots', async () => {
    const path = dbPath()
    const old = new Database(path)
    old.exec(
      'CREATE TABLE snapshots (room TEXT PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL)',
    )
    const { crc32 } = await import('node:zlib')
    const data = Buffer.from([1, 2, 3])
    old
      .prepare('INSERT INTO snapshots (room, data, crc) VALUES (?, ?, ?)')
      .run(ROOM, data, crc32(data))
    old.close()
    const s = storage(path)
    expect((await s.loadRoom(ROOM)).snapshot).toEqual(new Uint8Array([1, 2, 3]))
    await s.compact(ROOM, bigSnapshot(), 0)
    expect(partRows(s)).toHaveLength(1)
  })
})

/** The sweep of older parts runs after the compaction resolved, a few rows a step. */
async function untilRows(s: SqliteStorage, rows: unknown[]) {
  for (let i = 0; i < 200; i++) {
    const now = s.db
      .prepare('SELECT gen, count(*) AS n FROM snapshot_parts GROUP BY gen ORDER BY gen')
      .all()
    if (JSON.stringify(now) === JSON.stringify(rows)) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(
    `parts never became ${JSON.stringify(rows)}: ${JSON.stringify(s.db.prepare('SELECT gen, count(*) AS n FROM snapshot_parts GROUP BY gen ORDER BY gen').all())}`,
  )
}
