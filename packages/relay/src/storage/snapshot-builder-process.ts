/**
 * @module The snapshot builder process (started by snapshot-builder.ts): with its own read-only
 * connection, it rebuilds a room as stored (snapshot + log up to an id) into a Y.Doc, encodes
 * it framed as the sync step 2 a cold join is answered with, and writes that to a file.
 */
import Database from 'better-sqlite3'
import { lowerPriority, serveBuilds, writeBuiltRoom } from './snapshot-build.ts'
import { prepareRoomReads } from './sqlite-log-rows.ts'
import { configure } from './sqlite-schema.ts'

export type { BuildReply, BuildRequest } from './snapshot-build.ts'

lowerPriority()

const path = process.argv[3]!
const db = configure(new Database(path, { readonly: true, fileMustExist: true }), {
  busyTimeoutMs: 5000,
})
const read = prepareRoomReads(db)

serveBuilds((m) => {
  const { snapshot, updates } = read(m.room, m.upTo)
  return writeBuiltRoom(
    m.file,
    snapshot,
    updates.map((u) => u.data),
  )
})
