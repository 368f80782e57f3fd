/**
 * A big room's snapshot is built by the store while the room keeps storing: what the snapshot
 * holds and what the log keeps add up to every stored batch, a cold joiner waiting for the build
 * gets the batches stored meanwhile, and an epoch started during a build is what stays stored.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { epochOf } from '@switchboard/core'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, type Metrics } from './metrics.ts'
import { Room, type RoomDeps } from './room.ts'
import type { RelayStorage } from './storage/relay-storage.ts'
import { createSqliteStorage, type SqliteStorage } from './storage/sqlite.ts'
import {
  applyFrames,
  incoming,
  recordingPeer,
  startTestRelay,
  until,
  type TestRelay,
} from './test-helpers.ts'

/** A SQLite store whose built snapshots are returned only at `release()` (a slow build). */
function heldBuilds(inner: SqliteStorage) {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const builds: number[] = []
  const storage: RelayStorage = {
    ...inner,
    buildSnapshot: async (room, upTo) => {
      builds.push(upTo)
      const built = await inner.buildSnapshot!(room, upTo)
      await gate
      return built
    },
  }
  return { storage, builds, release }
}

const sqlite = () =>
  createSqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'relay-offthread-')), 'relay.db') })

/** A room on `storage` whose snapshots are always built off the event loop when busy. */
const loadRoom = (storage: RelayStorage, metrics: Metrics, deps: Partial<RoomDeps> = {}) =>
  Room.load('inbox:pn-1', {
    storage,
    metrics,
    log: () => {},
    compactEvery: 5,
    offThreadSnapshotBytes: 0,
    ...deps,
  })

const stateOf = async (storage: RelayStorage, room: string) => {
  const stored = await storage.loadRoom(room)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return { stored, doc }
}

describe('[§4 durable] a snapshot built while the room keeps storing', () => {
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })

  it('[§4 durable] a room keeps storing while its snapshot is built; the snapshot then holds what was stored up to its start and the log keeps the rest', async () => {
    const inner = sqlite()
    cleanup.push(() => inner.close())
    const { storage, builds, release } = heldBuilds(inner)
    const metrics = createMetrics()
    const room = await loadRoom(storage, metrics)
    cleanup.push(() => room.destroy())
    const marks = room.doc.getMap('marks')
    for (let i = 0; i < 5; i++) await room.transact(() => marks.set(`c${i}`, i))
    await until(() => builds.length === 1, 'a build starts after 5 batches')
    // Written while the build waits: stored and acknowledged at once, not part of the snapshot.
    for (let i = 5; i < 8; i++) await room.transact(() => marks.set(`c${i}`, i))
    expect(metrics.compactions).toBe(0)
    const cold = recordingPeer()
    room.syncStep1(cold, Y.encodeStateVector(new Y.Doc()))

    release()
    await until(() => metrics.compactions === 1, 'the built snapshot is stored')
    await room.compacted()
    const { stored, doc } = await stateOf(inner, 'inbox:pn-1')
    expect(stored.updates).toHaveLength(3)
    expect(stored.updates[0]!.id).toBeGreaterThan(builds[0]!)
    const snapshot = new Y.Doc()
    Y.applyUpdate(snapshot, stored.snapshot!)
    expect(snapshot.getMap('marks').toJSON()).toEqual({ c0: 0, c1: 1, c2: 2, c3: 3, c4: 4 })
    expect(doc.getMap('marks').toJSON()).toEqual(marks.toJSON())
    // Cold joins before and after the compaction get the whole room.
    const later = recordingPeer()
    room.syncStep1(later, Y.encodeStateVector(new Y.Doc()))
    // The first joined while the relay was busy: its answer is a build of its own.
    await until(() => cold.frames.length > 0 && later.frames.length > 0, 'both are answered')
    for (const p of [cold, later]) {
      const got = applyFrames(p.frames, true)
      expect(got.getMap('marks').toJSON()).toEqual(marks.toJSON())
    }
  })

  it('[§4 cheap joins] cold joiners waiting for one build of a big room get the whole state, what was stored meanwhile included; the answer is then cached', async () => {
    const inner = sqlite()
    cleanup.push(() => inner.close())
    const { storage, builds, release } = heldBuilds(inner)
    const room = await loadRoom(storage, createMetrics(), { compactEvery: 1_000_000 })
    cleanup.push(() => room.destroy())
    const marks = room.doc.getMap('marks')
    await room.transact(() => {
      for (let i = 0; i < 300; i++) marks.set(`c${i}`, i)
    })
    const [first, second] = [recordingPeer(), recordingPeer()]
    room.syncStep1(first, Y.encodeStateVector(new Y.Doc()))
    await until(() => builds.length === 1, 'a build starts for the cold join')
    // Stored while it is built (not yet sockets of the room: they joined through syncStep1 only).
    for (let i = 0; i < 2; i++) await room.transact(() => marks.set(`later${i}`, i))
    room.syncStep1(second, Y.encodeStateVector(new Y.Doc()))
    expect(builds).toHaveLength(1)
    expect(first.frames).toEqual([])

    release()
    await until(() => first.frames.length > 0 && second.frames.length > 0, 'both are answered')
    for (const p of [first, second])
      expect(applyFrames(p.frames, true).getMap('marks').toJSON()).toEqual(marks.toJSON())
    // The answer is cached for the next cold join.
    const third = recordingPeer()
    room.syncStep1(third, Y.encodeStateVector(new Y.Doc()))
    await room.durable()
    await until(() => third.frames.length > 0, 'the third is answered from the cache')
    expect(builds).toHaveLength(1)
    expect(applyFrames(third.frames, true).getMap('marks').toJSON()).toEqual(marks.toJSON())
  })

  it('[§4 durable] in a pause too, a big room’s compaction and cold join are built by the store, and the stored state stays whole', async () => {
    const inner = sqlite()
    cleanup.push(() => inner.close())
    const builds: number[] = []
    const storage: RelayStorage = {
      ...inner,
      buildSnapshot: (room, upTo) => (builds.push(upTo), inner.buildSnapshot!(room, upTo)),
    }
    const metrics = createMetrics()
    const room = await loadRoom(storage, metrics, { compactQuietMs: 20 })
    cleanup.push(() => room.destroy())
    const marks = room.doc.getMap('marks')
    const batch = (n: number, tag: string) =>
      room.transact(() => {
        for (let i = 0; i < n; i++) marks.set(`${tag}${i}`, `${tag}-${i}`)
      })
    // The first snapshot is due at once (none yet), while writing.
    await batch(300, 'a')
    for (let i = 0; i < 4; i++) await batch(1, `b${i}-`)
    await until(() => metrics.compactions === 1, 'the first compaction')
    expect(builds).toHaveLength(1)
    // The next one waits for a pause of the room, in which nothing else stores.
    for (let i = 0; i < 5; i++) await batch(30, `c${i}-`)
    await until(() => metrics.compactions === 2, 'the compaction in the pause')
    expect(builds).toHaveLength(2)
    // A cold join in a pause, the cached answer having outgrown.
    await batch(300, 'd')
    await new Promise((r) => setTimeout(r, 30))
    const cold = recordingPeer()
    room.syncStep1(cold, Y.encodeStateVector(new Y.Doc()))
    await until(() => cold.frames.length > 0, 'the cold answer')
    await room.durable()
    expect(applyFrames(cold.frames, true).getMap('marks').toJSON()).toEqual(marks.toJSON())
    expect(builds.length).toBeGreaterThanOrEqual(3)
    const stored = await stateOf(inner, room.name)
    expect(stored.doc.getMap('marks').toJSON()).toEqual(marks.toJSON())
  })

  it('[E2] an epoch started while a snapshot is built is what stays stored: the older snapshot never lands after it', async () => {
    const inner = sqlite()
    const { storage, builds, release } = heldBuilds(inner)
    const relay: TestRelay = await startTestRelay({
      storage,
      compactEvery: 3,
      offThreadSnapshotBytes: 0,
    })
    cleanup.push(() => relay.close())
    for (let i = 0; i < 4; i++)
      expect((await relay.webhook(incoming(`c-o-${i}`, 'pn-a'))).status).toBe(202)
    await until(() => builds.length >= 1, 'a build starts')
    const epoch = relay.relay.startEpoch('inbox:pn-a')
    // Let the epoch reach its wait before the build returns.
    await new Promise((r) => setTimeout(r, 50))
    release()
    const report = await epoch
    await new Promise((r) => setTimeout(r, 50))
    const { stored, doc } = await stateOf(inner, 'inbox:pn-a')
    expect(stored.epoch?.id).toBe(report.epoch)
    expect(epochOf(doc).id).toBe(report.epoch)
  })
})
