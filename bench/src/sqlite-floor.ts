/**
 * @module Workload 4 floor (its own process): the same mark update bytes inserted into SQLite
 * (WAL, synchronous=FULL) by a plain better-sqlite3 loop — one commit per mark, and one commit
 * per batch of `batch` marks (group commit, what a relay can do at best).
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { createHlc, markConversation, type Author } from '@switchboard/core'
import { createHistogram, percentile, record } from './stats.ts'
import { send } from './load/client.ts'

type Command = { cmd: 'run'; durationMs: number; batch: number }

function markUpdates(count: number): Uint8Array[] {
  const doc = new Y.Doc()
  const author: Author = { memberId: 'm1', deviceId: 'd1', clock: createHlc('d1') }
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  for (let i = 0; i < count; i++) markConversation(doc, `c${i % 500}`, 'done', author)
  return out
}

function run(durationMs: number, batch: number) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-sqlite-'))
  try {
    const db = new Database(join(dir, 'floor.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(
      'CREATE TABLE updates (room TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (room, seq))',
    )
    const insert = db.prepare('INSERT INTO updates (room, seq, data) VALUES (?, ?, ?)')
    const updates = markUpdates(1000)
    const insertMany = db.transaction((from: number) => {
      for (let k = 0; k < batch; k++)
        insert.run('inbox:bench', from + k, updates[(from + k) % updates.length]!)
    })
    const hist = createHistogram()
    let seq = 0
    const t0 = performance.now()
    while (performance.now() - t0 < durationMs) {
      const s = performance.now()
      insertMany(seq)
      seq += batch
      record(hist, performance.now() - s)
    }
    const ms = performance.now() - t0
    db.close()
    return {
      ackedPerSec: (seq / ms) * 1000,
      p50: percentile(hist, 0.5),
      p99: percentile(hist, 0.99),
      max: hist.max,
      updateBytes: updates[500]!.byteLength,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

process.on('message', (m: Command) => {
  try {
    send({ ok: true, value: run(m.durationMs, m.batch) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
