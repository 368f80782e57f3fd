import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runDirectoryContract, type DirectoryHarness } from './directory.contract.ts'
import { createMemoryStorage } from './memory.ts'
import { runOutboxContract, type OutboxHarness } from './outbox.contract.ts'
import type { RelayStorage } from './relay-storage.ts'
import { runRoomLogContract, type RoomLogHarness } from './room-log.contract.ts'
import { createSqliteStorage, type SqliteStorageOptions } from './sqlite.ts'

/** A backend as the contracts see it: a store, a way to damage a room, and a restart. */
interface Backend {
  name: string
  open(): Opened
}
interface Opened {
  storage: RelayStorage
  corrupt(room: string): void
  /** Close and reopen the same store; in-memory stores return themselves. */
  reopen(): Promise<Opened>
}

const memory = (): Opened => {
  const storage = createMemoryStorage()
  const opened: Opened = {
    storage,
    corrupt: (room) => storage.corruptRoom(room),
    reopen: async () => opened,
  }
  return opened
}

/** A SQLite file, its store opened (and reopened) with `options`. */
const sqlite = (options: Omit<SqliteStorageOptions, 'path'>) => (): Opened => {
  const path = join(mkdtempSync(join(tmpdir(), 'relay-sqlite-')), 'relay.db')
  const open = (): Opened => {
    const storage = createSqliteStorage({ path, ...options })
    return {
      storage,
      corrupt: (room) =>
        storage.db.prepare("UPDATE updates SET data = X'DEADBEEF' WHERE room = ?").run(room),
      reopen: async () => {
        await storage.close()
        return open()
      },
    }
  }
  return open()
}

/** Every backend, SQLite in each of its ways of committing appends. */
const backends: Backend[] = [
  { name: 'memory', open: memory },
  { name: 'sqlite', open: sqlite({}) },
  { name: 'sqlite, appends committed inline', open: sqlite({ appendWriter: 'inline' }) },
  {
    name: 'sqlite, lone appends committed on the event loop',
    open: sqlite({ inlineAfterQuietMs: 0 }),
  },
  {
    name: 'sqlite, every append committed by the writer thread',
    open: sqlite({ inlineAfterQuietMs: Infinity }),
  },
]

const asRoomLog = (o: Opened): RoomLogHarness => ({
  log: o.storage,
  corrupt: o.corrupt,
  reopen: async () => asRoomLog(await o.reopen()),
  close: () => o.storage.close(),
})
const asDirectory = (o: Opened): DirectoryHarness => ({
  directory: o.storage,
  reopen: async () => asDirectory(await o.reopen()),
  close: () => o.storage.close(),
})
const asOutbox = (o: Opened): OutboxHarness => ({
  outbox: o.storage,
  reopen: async () => asOutbox(await o.reopen()),
  close: () => o.storage.close(),
})

for (const backend of backends) {
  runRoomLogContract(backend.name, async () => asRoomLog(backend.open()))
  runDirectoryContract(backend.name, async () => asDirectory(backend.open()))
  runOutboxContract(backend.name, async () => asOutbox(backend.open()))

  describe(`RelayStorage: ${backend.name}`, () => {
    let opened: Opened | null = null
    afterEach(async () => {
      await opened?.storage.close()
      opened = null
    })

    it('check() passes on an open store and throws once it is closed', async () => {
      opened = backend.open()
      expect(() => opened!.storage.check()).not.toThrow()
      await opened.storage.close()
      expect(() => opened!.storage.check()).toThrow()
    })
  })
}
