/**
 * A directory transaction on the SQLite store takes the write lock when it begins: the writer
 * thread commits on its own connection at any moment, and a transaction that read before that
 * commit could not write after it (SQLite refuses the upgrade at once, "database is locked",
 * without waiting) — a member's first mark was refused with 4500 that way (bench T2, loaded).
 */
import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createSqliteStorage } from './sqlite.ts'

describe('directory transactions on the SQLite store', () => {
  it('a transaction that reads, then writes after another connection committed, is not refused', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-sqlite-tx-')), 'relay.db')
    const storage = createSqliteStorage({ path })
    const other = new Database(path)
    other.pragma('busy_timeout = 0')
    try {
      let otherCommitted = false
      const bound = storage.transaction(() => {
        const before = storage.getDeviceOwner('dev-1')
        // Another connection (the writer thread's, in service) commits between the read and the write.
        try {
          other.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('x', '1')`).run()
          otherCommitted = true
        } catch {
          // The transaction holds the write lock: the other connection waits its turn.
        }
        return before === null && storage.bindDevice('dev-1', 'm1')
      })
      expect(bound).toBe(true)
      expect(otherCommitted).toBe(false)
      expect(storage.getDeviceOwner('dev-1')).toBe('m1')
    } finally {
      other.close()
      await storage.close()
    }
  })
})
