/**
 * @module What both snapshot builder processes (SQLite's and PostgreSQL's) do with a room read
 * from their store: run at the lowest priority, rebuild it into a Y.Doc, and write it framed as
 * the sync step 2 a cold join is answered with to the file the relay reads it from.
 */
import * as encoding from 'lib0/encoding'
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { setPriority } from 'node:os'
import * as Y from 'yjs'

/** The environment variable the store passes its `DATABASE_URL` in (not argv: `ps` shows argv). */
export const BUILDER_DATABASE_URL_ENV = 'SWITCHBOARD_BUILDER_DATABASE_URL'

/** A build asked for by the store, answered by id. */
export interface BuildRequest {
  id: number
  room: string
  upTo: number
  file: string
}
export type BuildReply = { id: number; offset: number } | { id: number; error: string }

/**
 * Linux sets priorities per thread: lowers every thread there is now (the collector's helpers);
 * threads started later inherit it from their parent.
 */
export function lowerPriority(): void {
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(tid), 19)
    } catch {
      // A thread that ended meanwhile.
    }
  }
}

/** The sync step 2 header in front of an update of `length` bytes: [0 sync][1 step 2][length]. */
function syncStep2Header(length: number): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, length)
  return encoding.toUint8Array(encoder)
}

/**
 * Rebuilds the room (snapshot, then its log in order) and writes it framed to `file`; returns
 * the offset of the update inside the frame.
 */
export function writeBuiltRoom(
  file: string,
  snapshot: Uint8Array | null,
  updates: readonly Uint8Array[],
): number {
  const doc = new Y.Doc({ gc: true })
  try {
    Y.transact(doc, () => {
      if (snapshot) Y.applyUpdate(doc, snapshot)
      for (const u of updates) Y.applyUpdate(doc, u)
    })
    if (doc.store.pendingStructs || doc.store.pendingDs)
      throw new Error('stored updates have missing parts')
    const built = Y.encodeStateAsUpdate(doc)
    // The relay sends the file's bytes as they are and stores the update inside them.
    const header = syncStep2Header(built.byteLength)
    // The frame holds a room's whole document: readable by the relay's user only [A9].
    const fd = openSync(file, 'w', 0o600)
    try {
      writeSync(fd, header)
      writeSync(fd, built)
    } finally {
      closeSync(fd)
    }
    return header.byteLength
  } finally {
    doc.destroy()
  }
}

/** Answers the relay's build requests with `build`; a relay gone meanwhile leaves no file. */
export function serveBuilds(build: (m: BuildRequest) => Promise<number> | number): void {
  const send = (reply: BuildReply) => process.send!(reply)
  process.on('disconnect', () => process.exit(0))
  process.on('message', (m: BuildRequest) => {
    Promise.resolve()
      .then(() => build(m))
      .then(
        (offset) => {
          // The relay may have gone meanwhile (killed): nobody will read or delete the file then.
          if (!process.connected) rmSync(m.file, { force: true })
          else send({ id: m.id, offset })
        },
        (e: unknown) => send({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
      )
  })
}
