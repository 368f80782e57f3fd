/**
 * @module The snapshot builder process of the PostgreSQL store (started by snapshot-builder.ts):
 * with a connection of its own it reads a room as stored (snapshot + log up to an id, in one
 * statement, every checksum verified), rebuilds it and writes the framed snapshot to a file, so a
 * compaction costs the relay's event loop nothing but its write.
 */
import { crc32 } from 'node:zlib'
import { connectPostgres } from './postgres-connect.ts'
import { RoomLogSql } from './postgres-log-schema.ts'
import {
  BUILDER_DATABASE_URL_ENV,
  lowerPriority,
  serveBuilds,
  writeBuiltRoom,
} from './snapshot-build.ts'

lowerPriority()

const sql = connectPostgres(process.env[BUILDER_DATABASE_URL_ENV]!, { max: 1 })

serveBuilds(async (m) => {
  const rows = await sql.unsafe<{ kind: number; seq: string; data: Buffer; crc: number }[]>(
    RoomLogSql.loadUpTo,
    [m.room, m.upTo],
    { prepare: true },
  )
  let snapshot: Buffer | null = null
  const updates: Buffer[] = []
  for (const row of rows) {
    if ((crc32(row.data) | 0) !== row.crc)
      throw new Error(
        row.kind === 0 ? 'snapshot checksum mismatch' : `update ${row.seq} checksum mismatch`,
      )
    if (row.kind === 0) snapshot = row.data
    else updates.push(row.data)
  }
  return writeBuiltRoom(m.file, snapshot, updates)
})
