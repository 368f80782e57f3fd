/**
 * @module The checkpointer thread of the SQLite store: copies the WAL into the database file
 * every CHECKPOINT_MS, concurrently with the appends and at normal priority, so the WAL stays
 * short even while a big room is being built and no writer's own checkpoint holds the appends.
 */
import Database from 'better-sqlite3'
import { workerData } from 'node:worker_threads'
import { configure } from './sqlite-schema.ts'
import type { StoreThreadData } from './sqlite-writer-protocol.ts'

const CHECKPOINT_MS = 250

const db = configure(new Database((workerData as StoreThreadData).path), { busyTimeoutMs: 5000 })
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // A busy or failed checkpoint is retried at the next tick.
  }
}, CHECKPOINT_MS)
