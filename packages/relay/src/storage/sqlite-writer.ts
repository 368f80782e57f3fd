/**
 * @module The append writer thread of the SQLite store: its own connection, one transaction
 * per batch it is sent, answering with the row ids once the commit (and its fsync) returned,
 * so the relay's event loop never waits on an fsync. It also writes snapshots, a big one in
 * parts between the appends.
 */
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'
import { crc32 } from 'node:zlib'
import { prepareLogWrites } from './sqlite-log-rows.ts'
import { configure, LogSql, SNAPSHOT_PART_BYTES } from './sqlite-schema.ts'
import type { FromWriter, StoreThreadData, ToWriter } from './sqlite-writer-protocol.ts'
import { errorText } from './sqlite-writer-protocol.ts'

const port = parentPort!
const { path } = workerData as StoreThreadData
const db = configure(new Database(path), { busyTimeoutMs: 5000, wal: true, writerCheckpoint: true })
const writes = prepareLogWrites(db)
const putSnapshot = db.prepare(LogSql.putSnapshot)
const putPart = db.prepare(LogSql.putPart)
const nextGen = db.prepare<[string], { gen: number }>(LogSql.nextGen)
const dropOldParts = db.prepare(LogSql.dropOldParts)
const dropSomeUpdates = db.prepare(LogSql.dropSomeUpdates)

const reply = (message: FromWriter) => port.postMessage(message)

/**
 * A big snapshot goes in parts, each its own commit, yielding to queued appends between them
 * (setImmediate runs after the messages already received); the row switches to the new parts
 * and the log position in one last commit, so a crash before it leaves the old snapshot in
 * place. Parts of older generations (an interrupted write's too: a new one takes a higher
 * number) and the log it holds are deleted afterwards, a few rows a step; never newer parts,
 * which the next compaction may be writing meanwhile.
 */
function compactInParts(id: number, room: string, snapshot: Uint8Array, upTo: number) {
  const gen = nextGen.get(room)!.gen
  const count = Math.ceil(snapshot.byteLength / SNAPSHOT_PART_BYTES)
  let part = 0
  const step = () => {
    try {
      if (part < count) {
        const at = part * SNAPSHOT_PART_BYTES
        putPart.run(room, gen, part, snapshot.subarray(at, at + SNAPSHOT_PART_BYTES))
        part++
        setImmediate(step)
        return
      }
      putSnapshot.run(room, Buffer.alloc(0), crc32(snapshot), gen, count, upTo)
    } catch (e) {
      reply({ kind: 'compact-failed', id, error: errorText(e) })
      return
    }
    reply({ kind: 'compacted', id })
    const sweep = () => {
      try {
        if (dropOldParts.run(room, gen).changes + dropSomeUpdates.run(room, upTo).changes > 0)
          setImmediate(sweep)
      } catch {
        // The next compaction sweeps what is left.
      }
    }
    sweep()
  }
  step()
}

reply({ kind: 'ready' })
port.on('message', (m: ToWriter) => {
  switch (m.kind) {
    case 'close':
      db.close()
      reply({ kind: 'closed' })
      return
    case 'compact':
      if (m.snapshot.byteLength > SNAPSHOT_PART_BYTES)
        return compactInParts(m.id, m.room, m.snapshot, m.upTo)
      try {
        writes.putSnapshot(m.room, m.snapshot, m.upTo)
        reply({ kind: 'compacted', id: m.id })
      } catch (e) {
        reply({ kind: 'compact-failed', id: m.id, error: errorText(e) })
      }
      return
    case 'append':
      try {
        reply({ kind: 'appended', ids: writes.append(m.rooms, m.datas, m.rows) })
      } catch (e) {
        reply({ kind: 'append-failed', error: errorText(e) })
      }
  }
})
