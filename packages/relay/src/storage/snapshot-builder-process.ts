/**
 * @module The snapshot builder process (started by snapshot-builder.ts): with its own read-only
 * connection, it rebuilds a room as stored (snapshot + log up to an id) into a Y.Doc, encodes
 * it framed as the sync step 2 a cold join is answered with, and writes that to a file.
 */
import Database from 'better-sqlite3'
import * as encoding from 'lib0/encoding'
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { setPriority } from 'node:os'
import * as Y from 'yjs'
import { prepareRoomReads } from './sqlite-log-rows.ts'
import { configure } from './sqlite-schema.ts'

/** A build asked for by the store, answered by id. */
export interface BuildRequest {
  id: number
  room: string
  upTo: number
  file: string
}
export type BuildReply = { id: number; offset: number } | { id: number; error: string }

// Linux sets priorities per thread: lower every thread there is now (the collector's helpers);
// threads started later inherit it from their parent.
for (const tid of readdirSync('/proc/self/task')) {
  try {
    setPriority(Number(tid), 19)
  } catch {
    // A thread that ended meanwhile.
  }
}

const path = process.argv[3]!
const db = configure(new Database(path, { readonly: true, fileMustExist: true }), {
  busyTimeoutMs: 5000,
})
const read = prepareRoomReads(db)
const send = (reply: BuildReply) => process.send!(reply)

/** The sync step 2 header in front of an update of `length` bytes: [0 sync][1 step 2][length]. */
function syncStep2Header(length: number): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, length)
  return encoding.toUint8Array(encoder)
}

function build(m: BuildRequest) {
  const doc = new Y.Doc({ gc: true })
  try {
    const { snapshot, updates } = read(m.room, m.upTo)
    Y.transact(doc, () => {
      if (snapshot) Y.applyUpdate(doc, snapshot)
      for (const u of updates) Y.applyUpdate(doc, u.data)
    })
    if (doc.store.pendingStructs || doc.store.pendingDs)
      throw new Error('stored updates have missing parts')
    const built = Y.encodeStateAsUpdate(doc)
    // The relay sends the file's bytes as they are and stores the update inside them.
    const header = syncStep2Header(built.byteLength)
    // The frame holds a room's whole document: readable by the relay's user only [A9].
    const fd = openSync(m.file, 'w', 0o600)
    try {
      writeSync(fd, header)
      writeSync(fd, built)
    } finally {
      closeSync(fd)
    }
    // The relay may have gone meanwhile (killed): nobody will read or delete the file then.
    if (!process.connected) rmSync(m.file, { force: true })
    else send({ id: m.id, offset: header.byteLength })
  } catch (e) {
    send({ id: m.id, error: e instanceof Error ? e.message : String(e) })
  } finally {
    doc.destroy()
  }
}

process.on('disconnect', () => process.exit(0))
process.on('message', (m: BuildRequest) => build(m))
