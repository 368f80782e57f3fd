/**
 * The PostgreSQL store builds snapshots off the event loop, as SQLite's does
 * (snapshot-builder.ts): a process of its own reads the room as stored up to a log entry through
 * its own connection, rebuilds it and hands back the framed snapshot.
 */
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeMessage } from '@switchboard/protocol'
import { createTestDatabase } from '../testing/postgres.ts'
import { createPostgresStorage, type PostgresStorage } from './postgres.ts'

/** One update setting `key` in map `m`, written by its own doc (own client id). */
function set(key: string, value: unknown): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('m').set(key, value)
  return Y.encodeStateAsUpdate(doc)
}

const mapOf = (update: Uint8Array) => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getMap('m').toJSON()
}

describe('PostgreSQL buildSnapshot (the snapshot builder process)', () => {
  const open: PostgresStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
  })
  const storage = async () => {
    const s = await createPostgresStorage({ url: await createTestDatabase(), relayId: 'b', max: 2 })
    open.push(s)
    return s
  }

  it('[§4 bounded] builds the room as stored up to the given log entry: snapshot + that part of the log, nothing later', async () => {
    const s = await storage()
    await s.loadRoom('inbox:pn-a')
    await s.loadRoom('inbox:pn-b')
    const first = await s.appendUpdate('inbox:pn-a', set('a', 1))
    await s.compact('inbox:pn-a', set('base', true), first)
    const upTo = await s.appendUpdate('inbox:pn-a', set('b', 2))
    await s.appendUpdate('inbox:pn-a', set('later', 3))
    await s.appendUpdate('inbox:pn-b', set('other room', 4))

    const built = await s.buildSnapshot!('inbox:pn-a', upTo)
    expect(mapOf(built.update)).toEqual({ base: true, b: 2 })
    expect(mapOf((await s.buildSnapshot!('inbox:pn-a', Number.MAX_SAFE_INTEGER)).update)).toEqual({
      base: true,
      b: 2,
      later: 3,
    })
    expect(mapOf((await s.buildSnapshot!('inbox:empty', 0)).update)).toEqual({})
    // Framed as the sync step 2 a cold join is answered with, over the same bytes.
    expect(decodeMessage(built.syncStep2!)).toMatchObject({ type: 'update', step: 'step-2' })
    expect((decodeMessage(built.syncStep2!) as { update: Uint8Array }).update).toEqual(built.update)
    // What it built is what the store then keeps as the snapshot.
    await s.compact('inbox:pn-a', built.update, upTo)
    const stored = await s.loadRoom('inbox:pn-a')
    expect(mapOf(stored.snapshot!)).toEqual({ base: true, b: 2 })
    expect(stored.updates.map((u) => mapOf(u.data))).toEqual([{ later: 3 }])
  })

  it('[§4 durable] a damaged log entry fails the build with a clear error; what is stored stays as it was', async () => {
    const s = await storage()
    await s.loadRoom('inbox:pn-a')
    await s.appendUpdate('inbox:pn-a', set('a', 1))
    const id = await s.appendUpdate('inbox:pn-a', set('b', 2))
    await s.sql`update room_log set crc = crc + 1 where seq = ${id}`
    const failed = await s.buildSnapshot!('inbox:pn-a', id).then(
      () => null,
      (err: unknown) => err,
    )
    expect(failed).toMatchObject({ name: 'StorageError', code: 'io' })
    expect(String((failed as Error).cause)).toContain(`update ${id} checksum mismatch`)
    const [row] = await s.sql<{ n: number }[]>`
      select count(*)::int as n from room_log where room = 'inbox:pn-a'`
    expect(row?.n).toBe(2)
  })

  it('is used for rooms from a smaller size than SQLite’s default, where a compaction on the loop would hold up acks', async () => {
    const s = await storage()
    expect(s.offThreadSnapshotBytes).toBeLessThan(256 * 1024)
  })
})
