/**
 * @module The room log's rows on one connection, as the relay, its writer thread and the
 * snapshot builder each use them: appends, a snapshot kept in its row, and a room read back
 * with every checksum verified.
 */
import type Database from 'better-sqlite3'
import { crc32 } from 'node:zlib'
import type { IndexRow } from './index-rows.ts'
import { IndexSql, LogSql } from './sqlite-schema.ts'

interface SnapshotRow {
  data: Buffer
  crc: number
  gen: number
  parts: number
  upto: number
}

/** A room as stored, its checksums verified: the snapshot and the log after it. */
export interface RoomRows {
  snapshot: Buffer | null
  updates: { id: number; data: Buffer }[]
}

/** Reads a room in one read transaction; throws (with what is damaged) on a bad checksum. */
export function prepareRoomReads(db: Database.Database) {
  const snapshotRow = db.prepare<[string], SnapshotRow>(LogSql.snapshotRow)
  const snapshotParts = db.prepare<[string, number], { data: Buffer }>(LogSql.snapshotParts)
  const logRange = db.prepare<[string, number, number], { id: number; data: Buffer; crc: number }>(
    LogSql.logRange,
  )
  // One transaction: a compaction committed between the reads would drop log entries the
  // snapshot read before it does not hold (or the parts it names).
  return db.transaction((room: string, upTo: number = Number.MAX_SAFE_INTEGER): RoomRows => {
    const row = snapshotRow.get(room)
    const snapshot = !row
      ? null
      : row.parts > 0
        ? Buffer.concat(snapshotParts.all(room, row.gen).map((p) => p.data))
        : row.data
    if (row && crc32(snapshot!) !== row.crc) throw new Error('snapshot checksum mismatch')
    const updates = logRange.all(room, row?.upto ?? 0, upTo).map(({ id, data, crc }) => {
      if (crc32(data) !== crc) throw new Error(`update ${id} checksum mismatch`)
      return { id, data }
    })
    return { snapshot, updates }
  })
}

/** The writes of the room log that fit in one transaction each. */
export function prepareLogWrites(db: Database.Database) {
  const insert = db.prepare(LogSql.insertUpdate)
  const putSnapshot = db.prepare(LogSql.putSnapshot)
  const dropParts = db.prepare(LogSql.dropParts)
  const dropUpdates = db.prepare(LogSql.dropUpdates)
  const putConversation = db.prepare(IndexSql.putConversation)
  const putActivity = db.prepare(IndexSql.putActivity)
  const bindClient = db.prepare(IndexSql.bindClient)
  const putProviderCall = db.prepare(IndexSql.putProviderCall)
  const putRow = (row: IndexRow) => {
    if (row.kind === 'conversation') putConversation.run(row.id, row.phoneNumberId)
    else if (row.kind === 'activity') putActivity.run(row.id)
    else if (row.kind === 'client') bindClient.run(row.room, row.client, row.memberId)
    else putProviderCall.run(row.callKey, row.phoneNumberId, row.conversationId, row.activityId)
  }
  return {
    /** Inserts a batch of index rows and appends, returning the appends' row ids in order. */
    append: db.transaction(
      (rooms: readonly string[], datas: readonly Uint8Array[], rows: readonly IndexRow[] = []) => {
        for (const row of rows) putRow(row)
        return rooms.map((room, i) =>
          Number(insert.run(room, datas[i], crc32(datas[i]!)).lastInsertRowid),
        )
      },
    ),
    /** Replaces the room's snapshot with one kept in its row and drops the log it holds. */
    putSnapshot: db.transaction((room: string, snapshot: Uint8Array, upTo: number) => {
      putSnapshot.run(room, snapshot, crc32(snapshot), 0, 0, upTo)
      dropParts.run(room)
      dropUpdates.run(room, upTo)
    }),
  }
}
