/**
 * @module A big inbox room for workloads 2 and 8 (its own process): N conversations ingested
 * through core (`ingestActivity`, one transaction each, as the relay ingests them), encoded once
 * and written to a file every server is seeded from; for workload 3, the same with a long history
 * of marks (`grown-room.ts`). Switchboard gets it in its durable store as
 * the relay itself would have written it (the relay's storage API: appended, compacted into the
 * room's snapshot, the writer id bound to the relay, conversations mapped to the phone number),
 * so the relay started afterwards loads it cold from disk.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as Y from 'yjs'
import { inboxRoots } from '@switchboard/core'
import { inboxWith } from './churn-history.ts'
import { writeChunks } from './chunks.ts'
import { growRoom } from './grown-room.ts'
import { createSqliteStorage } from '../../packages/relay/src/storage/sqlite.ts'
import { RELAY_WRITER } from '../../packages/relay/src/room.ts'
import { send } from './load/client.ts'

type Command =
  | { cmd: 'build'; conversations: number; phoneNumberId: string; file: string }
  | {
      cmd: 'build-grown'
      conversations: number
      marks: number
      devices: number
      phoneNumberId: string
      file: string
    }
  | { cmd: 'seed-switchboard'; file: string; dataDir: string; phoneNumberId: string }

export interface BigRoom {
  file: string
  conversations: number
  bytes: number
  buildMs: number
}

/** A room with a long history; `chunksFile` holds it as updates of bounded size (see chunks.ts). */
export interface GrownBigRoom extends BigRoom {
  marks: number
  devices: number
  chunksFile: string
  chunks: number
}

/** Marks per update of the chunks file: ~10 MB each, under the peers' 100-MiB frame limit. */
const STAGE_MARKS = 50_000

function build(conversations: number, phoneNumberId: string, file: string): BigRoom {
  const t0 = performance.now()
  const doc = inboxWith(conversations, phoneNumberId)
  const update = Y.encodeStateAsUpdate(doc)
  const buildMs = performance.now() - t0
  if (inboxRoots.conversations(doc).size !== conversations) throw new Error('build lost records')
  doc.destroy()
  writeFileSync(file, update)
  return { file, conversations, bytes: update.byteLength, buildMs }
}

function buildGrown(
  conversations: number,
  marks: number,
  devices: number,
  phoneNumberId: string,
  file: string,
): GrownBigRoom {
  const chunks: Uint8Array[] = []
  let seen = Y.encodeStateVector(new Y.Doc())
  const { doc, buildMs } = growRoom(conversations, marks, devices, {
    phoneNumberId,
    stageMarks: STAGE_MARKS,
    onStage(d) {
      chunks.push(Y.encodeStateAsUpdate(d, seen))
      seen = Y.encodeStateVector(d)
    },
  })
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  writeFileSync(file, update)
  const chunksFile = `${file}.chunks`
  writeChunks(chunksFile, chunks)
  return {
    file,
    chunksFile,
    chunks: chunks.length,
    conversations,
    marks,
    devices,
    bytes: update.byteLength,
    buildMs,
  }
}

async function seedSwitchboard(file: string, dataDir: string, phoneNumberId: string) {
  const update = new Uint8Array(readFileSync(file))
  const room = `inbox:${phoneNumberId}`
  const storage = createSqliteStorage({ path: join(dataDir, 'relay.db') })
  try {
    const meta = Y.parseUpdateMeta(update)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, update)
    const ids = [...inboxRoots.conversations(doc).keys()]
    doc.destroy()
    storage.transaction(() => {
      // Written by the relay's own peer: no member may write under these ids [M8].
      for (const client of meta.to.keys()) storage.bindClient(room, client, RELAY_WRITER)
      for (const id of ids) storage.setConversationPhoneNumber(id, phoneNumberId)
    })
    const id = await storage.appendUpdate(room, update)
    // A long-lived room is a snapshot plus a short log (the relay compacts every 500 batches).
    await storage.compact(room, update, id)
    const stored = await storage.loadRoom(room)
    if (!stored.snapshot || stored.updates.length !== 0) throw new Error('seed was not compacted')
    return { room, conversations: ids.length, bytes: update.byteLength }
  } finally {
    await storage.close()
  }
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'build')
      send({ ok: true, value: build(m.conversations, m.phoneNumberId, m.file) })
    else if (m.cmd === 'build-grown')
      send({
        ok: true,
        value: buildGrown(m.conversations, m.marks, m.devices, m.phoneNumberId, m.file),
      })
    else send({ ok: true, value: await seedSwitchboard(m.file, m.dataDir, m.phoneNumberId) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
