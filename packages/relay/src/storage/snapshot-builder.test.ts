import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeMessage } from '@switchboard/protocol'
import type { BuiltSnapshot } from './relay-storage.ts'
import { buildsDir } from './snapshot-builder.ts'
import { createSqliteStorage, type SqliteStorage } from './sqlite.ts'

/** One update setting `key` in map `m`, written by its own doc (own client id). */
function set(key: string, value: unknown): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('m').set(key, value)
  return Y.encodeStateAsUpdate(doc)
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}

const update = async (built: Promise<BuiltSnapshot>) => (await built).update

const mapOf = (update: Uint8Array) => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getMap('m').toJSON()
}

describe('sqlite buildSnapshot (the snapshot builder process)', () => {
  const open: SqliteStorage[] = []
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
  })
  const storage = () => {
    const s = createSqliteStorage({
      path: join(mkdtempSync(join(tmpdir(), 'relay-builder-')), 'relay.db'),
    })
    open.push(s)
    return s
  }

  it('[§4 bounded] builds the room as stored up to the given log entry: snapshot + that part of the log, nothing later', async () => {
    const s = storage()
    const first = await s.appendUpdate('inbox:pn-a', set('a', 1))
    await s.compact('inbox:pn-a', set('base', true), first)
    const upTo = await s.appendUpdate('inbox:pn-a', set('b', 2))
    await s.appendUpdate('inbox:pn-a', set('later', 3))
    await s.appendUpdate('inbox:pn-b', set('other room', 4))

    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', upTo)))).toEqual({ base: true, b: 2 })
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', Number.MAX_SAFE_INTEGER)))).toEqual({
      base: true,
      b: 2,
      later: 3,
    })
    expect(mapOf(await update(s.buildSnapshot!('inbox:empty', 0)))).toEqual({})
    // Framed as the sync step 2 a cold join is answered with, over the same bytes.
    const built = await s.buildSnapshot!('inbox:pn-a', upTo)
    expect(decodeMessage(built.syncStep2!)).toMatchObject({ type: 'update', step: 'step-2' })
    expect((decodeMessage(built.syncStep2!) as { update: Uint8Array }).update).toEqual(built.update)
    // In shared memory: handed to the writer thread without a copy on the event loop.
    expect(built.syncStep2!.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(built.update.buffer).toBe(built.syncStep2!.buffer)
  })

  it('reads a snapshot stored in parts', async () => {
    const s = storage()
    const first = await s.appendUpdate('inbox:pn-a', set('a', 1))
    const big = 'x'.repeat(700_000)
    await s.compact('inbox:pn-a', set('big', big), first)
    expect(s.db.prepare('SELECT count(*) AS n FROM snapshot_parts').get()).toEqual({ n: 3 })
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', first)))).toEqual({ big })
  })

  it('[§4 durable] a damaged log entry fails the build with a clear error; what is stored stays as it was', async () => {
    const s = storage()
    await s.appendUpdate('inbox:pn-a', set('a', 1))
    const id = await s.appendUpdate('inbox:pn-a', set('b', 2))
    s.db.prepare('UPDATE updates SET crc = crc + 1 WHERE id = ?').run(id)

    const failed = await s.buildSnapshot!('inbox:pn-a', id).then(
      () => null,
      (err: unknown) => err,
    )
    expect(failed).toMatchObject({ name: 'StorageError', code: 'io' })
    expect(String((failed as Error).cause)).toContain(`update ${id} checksum mismatch`)
    const rows = s.db.prepare('SELECT id FROM updates WHERE room = ?').all('inbox:pn-a')
    expect(rows).toHaveLength(2)
    // The builder keeps serving: a room it can read still builds.
    await s.appendUpdate('inbox:pn-b', set('c', 3))
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-b', Number.MAX_SAFE_INTEGER)))).toEqual({
      c: 3,
    })
  })

  it('builds in a process of its own, every thread of it at nice 19: its work and its collector yield to the relay', async () => {
    const s = storage()
    expect(s.builderPid).toBeNull()
    const upTo = await s.appendUpdate('inbox:pn-a', set('a', 1))
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', upTo)))).toEqual({ a: 1 })
    const pid = s.builderPid
    expect(pid).not.toBeNull()
    expect(pid).not.toBe(process.pid)
    const tasks = readdirSync(`/proc/${pid}/task`)
    expect(tasks.length).toBeGreaterThan(1)
    // Field 19 of /proc/<pid>/task/<tid>/stat (after the parenthesised name) is the nice value.
    const nice = (tid: string) =>
      Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])
    expect(tasks.map(nice)).toEqual(tasks.map(() => 19))
  })

  it('[§4 durable] a builder that dies fails the builds it held with a clear error; the next build starts another', async () => {
    const s = storage()
    const upTo = await s.appendUpdate('inbox:pn-a', set('a', 1))
    await s.buildSnapshot!('inbox:pn-a', upTo)
    process.kill(s.builderPid!, 'SIGKILL')
    await until(() => s.builderPid === null)
    const held = s.buildSnapshot!('inbox:pn-a', upTo)
    process.kill(s.builderPid!, 'SIGKILL')
    await expect(held).rejects.toMatchObject({
      name: 'StorageError',
      code: 'io',
      message: 'the snapshot builder stopped',
    })
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', upTo)))).toEqual({ a: 1 })
    // What is stored is untouched.
    expect(s.db.prepare('SELECT count(*) AS n FROM updates').get()).toEqual({ n: 1 })
  })

  it('keeps its built frames in a place of its own, only while a build is in flight: what a killed relay left there is cleared at the first build', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-builder-')), 'relay.db')
    const dir = buildsDir(path)
    expect(dir).toMatch(/^\/dev\/shm\/switchboard-builds-[0-9a-f]{16}$/)
    mkdirSync(dir)
    writeFileSync(`${dir}/7.frame`, 'left by a relay killed mid-build')
    const s = createSqliteStorage({ path })
    const upTo = await s.appendUpdate('inbox:pn-a', set('a', 1))
    expect(mapOf(await update(s.buildSnapshot!('inbox:pn-a', upTo)))).toEqual({ a: 1 })
    // Nothing stays there between builds, so a store never closed leaves nothing either.
    expect(existsSync(dir)).toBe(false)
    await s.close()
    expect(existsSync(dir)).toBe(false)
  })

  it('builds are refused once the storage is closed', async () => {
    const s = storage()
    await s.close()
    await expect(s.buildSnapshot!('inbox:pn-a', 1)).rejects.toMatchObject({ code: 'closed' })
  })
})
