import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeRelayStorage } from './relay-storage.contract.ts'
import { createMemoryStorage } from './memory.ts'
import { createSqliteStorage } from './sqlite.ts'

describeRelayStorage('memory', async () => {
  const storage = createMemoryStorage()
  return { storage, corrupt: (room) => storage.corruptRoom(room), reopen: async () => storage }
})

describeRelayStorage('sqlite', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'relay-sqlite-')), 'relay.db')
  const storage = createSqliteStorage({ path })
  return {
    storage,
    corrupt: (room) =>
      storage.db.prepare("UPDATE updates SET data = X'DEADBEEF' WHERE room = ?").run(room),
    reopen: async () => {
      await storage.close()
      return createSqliteStorage({ path })
    },
  }
})
