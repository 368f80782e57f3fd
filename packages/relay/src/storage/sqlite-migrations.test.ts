import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate, migrations, SCHEMA_VERSION, type Migration } from './sqlite-schema.ts'
import { createSqliteStorage, type SqliteStorage } from './sqlite.ts'

/** The tables as the relay created them before its migrations were numbered (user_version 0). */
const UNNUMBERED_SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (room TEXT PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL,
  gen INTEGER NOT NULL DEFAULT 0, parts INTEGER NOT NULL DEFAULT 0, upto INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS snapshot_parts (room TEXT NOT NULL, gen INTEGER NOT NULL, part INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (room, gen, part));
CREATE TABLE IF NOT EXISTS updates (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS updates_room ON updates (room, id);
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS phone_numbers (id TEXT PRIMARY KEY, name TEXT NOT NULL, number TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (member_id TEXT NOT NULL, phone_number_id TEXT NOT NULL,
  PRIMARY KEY (member_id, phone_number_id));
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, phone_number_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS client_owners (room TEXT NOT NULL, client INTEGER NOT NULL,
  member_id TEXT NOT NULL, PRIMARY KEY (room, client));
CREATE TABLE IF NOT EXISTS device_owners (device_id TEXT PRIMARY KEY, member_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epochs (room TEXT PRIMARY KEY, id TEXT NOT NULL, retired TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archive (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL,
  conversation_id TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (room, key));
CREATE INDEX IF NOT EXISTS archive_conversation ON archive (room, conversation_id, seq);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, refresh_gen INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL, ended_at INTEGER, end_reason TEXT, user_agent TEXT, ip TEXT);
CREATE INDEX IF NOT EXISTS sessions_member ON sessions (member_id, created_at);
`

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'relay-migrate-')), 'relay.db')
const version = (db: Database.Database) => db.pragma('user_version', { simple: true })

describe('sqlite schema migrations (numbered by user_version)', () => {
  const open: SqliteStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
  })
  const storage = (path: string) => {
    const s = createSqliteStorage({ path })
    open.push(s)
    return s
  }

  it('a store written by the relay before migrations were numbered opens with its rooms, epochs, archive and directory, and is brought to the current version', async () => {
    const path = dbPath()
    const old = new Database(path)
    old.pragma('journal_mode = WAL')
    old.exec(UNNUMBERED_SCHEMA)
    // The relay of that time added this column as it opened a store.
    old.exec('ALTER TABLE members ADD COLUMN deactivated_at INTEGER')
    const snapshot = Buffer.from([1, 2, 3])
    old
      .prepare('INSERT INTO snapshots (room, data, crc, upto) VALUES (?, ?, ?, ?)')
      .run('inbox:pn1', snapshot, crc32(snapshot), 1)
    const update = Buffer.from([4, 5])
    old
      .prepare('INSERT INTO updates (room, data, crc) VALUES (?, ?, ?)')
      .run('inbox:pn1', Buffer.from([9]), 0)
    old
      .prepare('INSERT INTO updates (room, data, crc) VALUES (?, ?, ?)')
      .run('inbox:pn1', update, crc32(update))
    old
      .prepare('INSERT INTO epochs (room, id, retired) VALUES (?, ?, ?)')
      .run('inbox:pn1', 'e1', '[7]')
    old
      .prepare('INSERT INTO archive (room, conversation_id, key, data) VALUES (?, ?, ?, ?)')
      .run('inbox:pn1', 'c1', 'd1 t1', '{}')
    old
      .prepare(
        'INSERT INTO members (id, email, name, role, password_hash, created_at, deactivated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('m1', 'm1@example.com', 'M', 'owner', 'h', 1, 5)
    old.prepare('INSERT INTO device_owners (device_id, member_id) VALUES (?, ?)').run('dev', 'm1')
    expect(version(old)).toBe(0)
    old.close()

    const s = storage(path)
    expect(version(s.db)).toBe(SCHEMA_VERSION)
    const room = await s.loadRoom('inbox:pn1')
    expect(room.snapshot).toEqual(new Uint8Array([1, 2, 3]))
    expect(room.updates.map((u) => [...u.data])).toEqual([[4, 5]])
    expect(room.epoch).toEqual({ id: 'e1', retired: [7] })
    expect(await s.readArchive('inbox:pn1')).toEqual([
      { conversationId: 'c1', key: 'd1 t1', data: '{}' },
    ])
    expect(s.getMember('m1')).toMatchObject({ role: 'owner', deactivatedAt: 5 })
    expect(s.getDeviceOwner('dev')).toBe('m1')
    await s.appendUpdate('inbox:pn1', new Uint8Array([6]))
    expect((await s.loadRoom('inbox:pn1')).updates).toHaveLength(2)
  })

  it('[S6] a store from before members could be removed gains the column, its members not removed', async () => {
    const path = dbPath()
    const old = new Database(path)
    old.exec(UNNUMBERED_SCHEMA)
    old
      .prepare(
        'INSERT INTO members (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('m1', 'm1@example.com', 'M', 'member', 'h', 1)
    old.close()
    const s = storage(path)
    expect(s.getMember('m1')?.deactivatedAt).toBeUndefined()
    s.putMember({ ...s.getMember('m1')!, deactivatedAt: 9 })
    expect(s.getMember('m1')?.deactivatedAt).toBe(9)
  })

  it('[K1] a store at step 1 gains the provider column and the sealed credentials table; its numbers stay unconnected', async () => {
    const path = dbPath()
    const old = new Database(path)
    migrate(old, migrations.slice(0, 1))
    old
      .prepare('INSERT INTO phone_numbers (id, name, number) VALUES (?, ?, ?)')
      .run('pn1', 'Sales', '+14155550100')
    old.close()
    const s = storage(path)
    expect(version(s.db)).toBeGreaterThanOrEqual(2)
    expect(s.getPhoneNumber('pn1')).toEqual({ id: 'pn1', name: 'Sales', number: '+14155550100' })
    expect(s.getSealedCredentials('pn1')).toBeNull()
    s.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+14155550100', provider: 'twilio' })
    s.putSealedCredentials('pn1', 'sbc1.sealed')
    expect(s.getPhoneNumber('pn1')?.provider).toBe('twilio')
    expect(s.getSealedCredentials('pn1')).toBe('sbc1.sealed')
  })

  it('a new store is created at the current version, and reopening it runs no step again', async () => {
    const path = dbPath()
    const s = storage(path)
    expect(version(s.db)).toBe(SCHEMA_VERSION)
    await s.close()
    const db = new Database(path)
    let ran = 0
    const steps: Migration[] = [
      ...Array.from({ length: SCHEMA_VERSION }, (_, i) => ({
        version: i + 1,
        does: 'already run',
        up: () => void ran++,
      })),
    ]
    migrate(db, steps)
    expect(ran).toBe(0)
    db.close()
  })

  it('each step commits with its number: a failing step leaves the store as the step before left it', () => {
    const db = new Database(':memory:')
    const steps: Migration[] = [
      { version: 1, does: 'a table', up: (d) => void d.exec('CREATE TABLE a (x)') },
      {
        version: 2,
        does: 'a table, then a mistake',
        up: (d) => {
          d.exec('CREATE TABLE b (x)')
          d.exec('THIS IS NOT SQL')
        },
      },
    ]
    expect(() => migrate(db, steps)).toThrow()
    expect(version(db)).toBe(1)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    expect(tables).toEqual([{ name: 'a' }])
    db.close()
  })

  it('a store written by a newer relay (a version this one does not know) is refused as unreadable, untouched', () => {
    const path = dbPath()
    const newer = new Database(path)
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    newer.close()
    expect(() => createSqliteStorage({ path })).toThrow(
      expect.objectContaining({ name: 'StorageError', code: 'unreadable' }),
    )
    const db = new Database(path)
    expect(version(db)).toBe(SCHEMA_VERSION + 1)
    expect(
      db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get(),
    ).toEqual({ n: 0 })
    db.close()
  })
})
