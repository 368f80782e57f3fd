import Database from 'better-sqlite3'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { createSqliteStorage, type SqliteStorage } from './sqlite.ts'

describe('SQLite group commit (no timer in front of a commit)', () => {
  const open = (inlineAfterQuietMs?: number): { storage: SqliteStorage; path: string } => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-sqlite-gc-')), 'relay.db')
    return { storage: createSqliteStorage({ path, inlineAfterQuietMs }), path }
  }
  const stored = (path: string, room: string): number[][] => {
    const reader = new Database(path, { readonly: true })
    const rows = reader
      .prepare<[string], { data: Buffer }>('SELECT data FROM updates WHERE room = ? ORDER BY id')
      .all(room)
    reader.close()
    return rows.map((r) => [...r.data])
  }

  it('[§4 durable] an append commits without waiting on a timer, and is on disk for another connection once it resolves', async () => {
    const { storage, path } = open()
    vi.useFakeTimers()
    try {
      // With every timer frozen, an append that waited for a group-commit timer would never resolve.
      const id = await storage.appendUpdate('inbox:a', new Uint8Array([7, 8]))
      const reader = new Database(path, { readonly: true })
      const row = reader.prepare('SELECT data FROM updates WHERE id = ?').get(id) as {
        data: Buffer
      }
      reader.close()
      expect([...row.data]).toEqual([7, 8])
    } finally {
      vi.useRealTimers()
      await storage.close()
    }
  })

  it('[W6] index rows ride in the commit of the appends made with them, and another connection sees them once whenDurable() resolves', async () => {
    const { storage, path } = open()
    try {
      await storage.whenWriterReady()
      const before = storage.appendCommits
      storage.setConversationPhoneNumber('c1', 'pn1')
      storage.bindClient('conversation:c1', 9, 'relay')
      const appended = storage.appendUpdate('conversation:c1', new Uint8Array([1]))
      storage.recordActivity('telnyx-msg-1')
      await Promise.all([appended, storage.whenDurable()])
      expect(storage.appendCommits - before).toBe(1)
      const reader = new Database(path, { readonly: true })
      const count = (sql: string) => (reader.prepare(sql).get() as { n: number }).n
      expect(count("SELECT count(*) AS n FROM conversations WHERE id = 'c1'")).toBe(1)
      expect(count("SELECT count(*) AS n FROM activities WHERE id = 'telnyx-msg-1'")).toBe(1)
      expect(count('SELECT count(*) AS n FROM client_owners WHERE client = 9')).toBe(1)
      reader.close()
    } finally {
      await storage.close()
    }
  })

  it('appends made in one synchronous run share one commit; a later append gets its own at once', async () => {
    const { storage } = open()
    try {
      const before = storage.appendCommits
      const ids = await Promise.all([
        storage.appendUpdate('inbox:a', new Uint8Array([1])),
        storage.appendUpdate('inbox:b', new Uint8Array([2])),
        storage.appendUpdate('inbox:a', new Uint8Array([3])),
      ])
      expect(storage.appendCommits - before).toBe(1)
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true)
      await storage.appendUpdate('inbox:a', new Uint8Array([4]))
      expect(storage.appendCommits - before).toBe(2)
      expect((await storage.loadRoom('inbox:a')).updates.map((u) => [...u.data])).toEqual([
        [1],
        [3],
        [4],
      ])
    } finally {
      await storage.close()
    }
  })

  it('[§4 durable] commits run on the writer thread: the event loop keeps running during one, nothing resolves before it is on disk, and appends made meanwhile share the next commit', async () => {
    const { storage, path } = open()
    try {
      await storage.whenWriterReady()
      await storage.appendUpdate('inbox:a', new Uint8Array([0]))
      const before = storage.appendCommits
      // Another connection holds the write lock, so the writer thread's commit has to wait.
      const locker = new Database(path)
      locker.exec('BEGIN IMMEDIATE')
      const resolved: number[] = []
      const turn = () => new Promise((r) => setImmediate(r))
      const first = storage.appendUpdate('inbox:a', new Uint8Array([1])).then((id) => {
        resolved.push(1)
        return id
      })
      const later: Promise<number>[] = []
      for (let i = 2; i <= 4; i++) {
        await turn() // the event loop is not blocked by the waiting commit
        later.push(
          storage.appendUpdate('inbox:b', new Uint8Array([i])).then((id) => {
            resolved.push(i)
            return id
          }),
        )
      }
      await turn()
      expect(resolved).toEqual([])
      locker.exec('COMMIT')
      locker.close()
      const ids = await Promise.all([first, ...later])
      expect(resolved).toEqual([1, 2, 3, 4])
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      // The first commit, then everything that arrived while it waited, in one transaction.
      expect(storage.appendCommits - before).toBe(2)
    } finally {
      await storage.close()
    }
  })

  it('a compaction is written by the writer thread: the event loop runs while it waits for the lock, appends made meanwhile are kept, close() waits for it', async () => {
    const { storage, path } = open()
    const upTo = await storage.appendUpdate('inbox:a', new Uint8Array([1]))
    // Another connection holds the write lock: a compaction on the event loop would block it
    // (busy_timeout) until the lock is released; on the writer thread it only waits there.
    const locker = new Database(path)
    locker.exec('BEGIN IMMEDIATE')
    let compacted = false
    const compaction = storage.compact('inbox:a', new Uint8Array([9, 9]), upTo).then(() => {
      compacted = true
    })
    const later = storage.appendUpdate('inbox:a', new Uint8Array([2]))
    await new Promise((r) => setImmediate(r))
    expect(compacted).toBe(false)
    locker.exec('COMMIT')
    locker.close()
    const closing = storage.close()
    await Promise.all([compaction, later, closing])
    const reopened = createSqliteStorage({ path })
    const stored = await reopened.loadRoom('inbox:a')
    expect([...stored.snapshot!]).toEqual([9, 9])
    expect(stored.updates.map((u) => [...u.data])).toEqual([[2]])
    await reopened.close()
  })

  it('[§4 durable] a lone append after a quiet spell is committed on the event loop, on disk when it resolves; appends close behind a commit go to the writer thread', async () => {
    const { storage, path } = open(60_000)
    try {
      await storage.whenWriterReady()
      // Nothing committed yet: the first append is a lone one.
      await storage.appendUpdate('inbox:a', new Uint8Array([1]))
      expect(storage.inlineCommits).toBe(1)
      expect(stored(path, 'inbox:a')).toEqual([[1]])
      // Within the quiet spell of that commit, every commit is the thread's.
      await storage.appendUpdate('inbox:a', new Uint8Array([2]))
      await Promise.all([3, 4].map((i) => storage.appendUpdate('inbox:b', new Uint8Array([i]))))
      expect(storage.inlineCommits).toBe(1)
      expect(storage.appendCommits).toBe(3)
      expect(stored(path, 'inbox:a')).toEqual([[1], [2]])
      expect(stored(path, 'inbox:b')).toEqual([[3], [4]])
    } finally {
      await storage.close()
    }
  })

  it('an append that finds the write lock held is not waited for on the event loop: the writer thread commits it once the lock is free', async () => {
    const { storage, path } = open(0)
    try {
      const locker = new Database(path)
      locker.exec('BEGIN IMMEDIATE')
      let resolved = false
      const append = storage.appendUpdate('inbox:a', new Uint8Array([1])).then((id) => {
        resolved = true
        return id
      })
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
      expect(resolved).toBe(false)
      locker.exec('COMMIT')
      locker.close()
      await append
      expect(storage.inlineCommits).toBe(0)
      expect(storage.appendCommits).toBe(1)
      expect(stored(path, 'inbox:a')).toEqual([[1]])
      // The lock free again, the next lone append is committed on the loop.
      await storage.appendUpdate('inbox:a', new Uint8Array([2]))
      expect(storage.inlineCommits).toBe(1)
      expect(stored(path, 'inbox:a')).toEqual([[1], [2]])
    } finally {
      await storage.close()
    }
  })

  it('[§4 durable] appends made while the writer thread is still starting do not wait for it: they are committed on the event loop, on disk when they resolve', async () => {
    const { storage, path } = open(60_000)
    try {
      for (let i = 1; i <= 3; i++) await storage.appendUpdate('inbox:a', new Uint8Array([i]))
      // The first was a lone append; the next two came close behind it, before the thread was up.
      expect(storage.inlineCommits).toBe(3)
      expect(stored(path, 'inbox:a')).toEqual([[1], [2], [3]])
      await storage.whenWriterReady()
      await storage.appendUpdate('inbox:a', new Uint8Array([4]))
      expect(storage.inlineCommits).toBe(3)
      expect(storage.appendCommits).toBe(4)
    } finally {
      await storage.close()
    }
  })

  it('with inlineAfterQuietMs Infinity every commit is the writer thread’s, the first one too', async () => {
    const { storage, path } = open(Infinity)
    try {
      await storage.appendUpdate('inbox:a', new Uint8Array([1]))
      expect(storage.inlineCommits).toBe(0)
      expect(storage.appendCommits).toBe(1)
      expect(stored(path, 'inbox:a')).toEqual([[1]])
    } finally {
      await storage.close()
    }
  })

  it('a big append is written by the writer thread even after a quiet spell', async () => {
    const { storage, path } = open(0)
    try {
      await storage.appendUpdate('inbox:a', new Uint8Array(100 * 1024).fill(7))
      expect(storage.inlineCommits).toBe(0)
      expect(storage.appendCommits).toBe(1)
      expect(stored(path, 'inbox:a')[0]!.length).toBe(100 * 1024)
    } finally {
      await storage.close()
    }
  })

  it('close() finishes in a process with nothing else to run once its writer thread and builder process have gone idle', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'relay-sqlite-close-')), 'relay.db')
    // The idle writer thread and builder do not keep Node running; close() waited for them anyway,
    // so a process whose last handle was the server ended (exit 13) before the store was closed.
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/storage/close-when-idle.fixture.ts', path],
        { cwd: pkg },
        (err, stdout) => resolve({ code: err ? Number(err.code) : 0, out: stdout }),
      ),
    )
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'closed' })
    expect(stored(path, 'inbox:a')).toHaveLength(1)
  })

  it('close() commits appends still waiting for their commit', async () => {
    const { storage, path } = open()
    const pending = storage.appendUpdate('inbox:a', new Uint8Array([5]))
    await storage.close()
    await pending
    const reopened = createSqliteStorage({ path })
    expect((await reopened.loadRoom('inbox:a')).updates.map((u) => [...u.data])).toEqual([[5]])
    await reopened.close()
  })
})
