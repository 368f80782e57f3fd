/**
 * @module Copying a whole store into another, empty one, and proving the copy: what
 * `switchboard-relay migrate` runs between SQLite and PostgreSQL, in either direction
 * (docs/scale-out.md "Moving a store"). Everything goes through the storage interfaces, so any
 * backend that can dump its directory can be a source and any backend a target.
 */
import { conversationIds, getConversation, parseRoom } from '@switchboard/core'
import * as Y from 'yjs'
import { dumpCounts, restoreDirectory, type DirectoryDump } from './directory-dump.ts'
import type { RelayStorage } from './relay-storage.ts'
import type { StoredRoom } from './room-log.ts'

/** A store that can be copied from. */
export interface CopyableStorage extends RelayStorage {
  dumpDirectory(): Promise<DirectoryDump>
}

export interface CopyReport {
  rooms: number
  archived: number
  records: Record<keyof DirectoryDump, number>
}

/** The room as one document, so its state and derived views can be compared. */
function docOf(stored: StoredRoom): Y.Doc {
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return doc
}

/** The room's whole state as one update: snapshot and log merged. */
function mergedOf(stored: StoredRoom): Uint8Array {
  const parts = stored.updates.map((u) => u.data)
  if (stored.snapshot) parts.unshift(stored.snapshot)
  return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts)
}

/** Refuses a target that already holds anything: a copy never merges into a live store. */
async function assertEmpty(target: CopyableStorage): Promise<void> {
  const rooms = await target.listRooms()
  const records = dumpCounts(await target.dumpDirectory())
  const held = Object.entries(records).filter(([, n]) => n > 0)
  if (rooms.length > 0 || held.length > 0) {
    const what = [`${rooms.length} rooms`, ...held.map(([k, n]) => `${n} ${k}`)].join(', ')
    throw new Error(
      `the target store is not empty (${what}): migrate only copies into an empty store`,
    )
  }
}

/** Copies every room (snapshot and log as one update, its epoch and archive) and the directory. */
export async function copyStore(
  source: CopyableStorage,
  target: CopyableStorage,
  progress: (room: string, done: number, total: number) => void = () => {},
): Promise<CopyReport> {
  await assertEmpty(target)
  const dump = await source.dumpDirectory()
  await restoreDirectory(target, dump)
  const rooms = await source.listRooms()
  let archived = 0
  for (const [i, room] of rooms.entries()) {
    const stored = await source.loadRoom(room)
    const archive = await source.readArchive(room)
    archived += archive.length
    const state = mergedOf(stored)
    if (stored.epoch) {
      await target.startEpoch(room, { ...stored.epoch, snapshot: state, upToId: 0, archive })
    } else {
      const id = await target.appendUpdate(room, state)
      await target.compact(room, state, id)
      if (archive.length > 0) await target.archive(room, archive)
    }
    progress(room, i + 1, rooms.length)
  }
  return { rooms: rooms.length, archived, records: dumpCounts(dump) }
}

/** Sorts a dump's lists, so two stores that hold the same records compare equal. */
function canonical(dump: DirectoryDump): string {
  const sorted: Record<string, string[]> = {}
  for (const [key, list] of Object.entries(dump))
    sorted[key] = (list as unknown[])
      .map((r) => JSON.stringify(r, Object.keys(r as object).sort()))
      .sort()
  return JSON.stringify(sorted)
}

/** What an inbox room shows: every conversation's derived state. */
function derivedInbox(doc: Y.Doc): string {
  const ids = conversationIds(doc).sort()
  return JSON.stringify(ids.map((id) => [id, getConversation(doc, id)]))
}

/**
 * Compares the two stores room by room — the document's state, each conversation's derived
 * state in inbox rooms, the epoch and the archive — and the directory record by record; returns
 * what differs (empty when the copy is faithful).
 */
export async function verifyCopy(
  source: CopyableStorage,
  target: CopyableStorage,
): Promise<string[]> {
  const problems: string[] = []
  const [fromRooms, toRooms] = [await source.listRooms(), await target.listRooms()]
  const missing = fromRooms.filter((r) => !toRooms.includes(r))
  const extra = toRooms.filter((r) => !fromRooms.includes(r))
  if (missing.length) problems.push(`rooms missing from the target: ${missing.join(', ')}`)
  if (extra.length) problems.push(`rooms only in the target: ${extra.join(', ')}`)
  for (const room of fromRooms.filter((r) => toRooms.includes(r))) {
    const [a, b] = [await source.loadRoom(room), await target.loadRoom(room)]
    const [docA, docB] = [docOf(a), docOf(b)]
    if (!sameBytes(Y.encodeStateAsUpdate(docA), Y.encodeStateAsUpdate(docB)))
      problems.push(`${room}: the documents differ`)
    if (parseRoom(room)?.kind === 'inbox' && derivedInbox(docA) !== derivedInbox(docB))
      problems.push(`${room}: the conversations' derived states differ`)
    if (JSON.stringify(a.epoch ?? null) !== JSON.stringify(b.epoch ?? null))
      problems.push(`${room}: the epochs differ`)
    const [archA, archB] = [await source.readArchive(room), await target.readArchive(room)]
    if (JSON.stringify(archA) !== JSON.stringify(archB))
      problems.push(`${room}: the archives differ (${archA.length} and ${archB.length} entries)`)
    docA.destroy()
    docB.destroy()
  }
  if (canonical(await source.dumpDirectory()) !== canonical(await target.dumpDirectory()))
    problems.push('the directories differ')
  return problems
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
