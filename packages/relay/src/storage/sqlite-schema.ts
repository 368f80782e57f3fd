/**
 * @module The SQLite store's schema: its tables, the numbered migrations that build them
 * (`PRAGMA user_version` holds the last one applied), the connection settings, and the SQL of
 * the room log that the relay, its writer thread and the snapshot builder all run.
 */
import type Database from 'better-sqlite3'

/** One step of the schema; a store runs each step once, in order, and records its number. */
export interface Migration {
  version: number
  /** What the step changes, for whoever reads the list. */
  does: string
  up(db: Database.Database): void
}

const TABLES = `
CREATE TABLE IF NOT EXISTS snapshots (room TEXT PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL,
  gen INTEGER NOT NULL DEFAULT 0, parts INTEGER NOT NULL DEFAULT 0, upto INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS snapshot_parts (room TEXT NOT NULL, gen INTEGER NOT NULL, part INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (room, gen, part));
CREATE TABLE IF NOT EXISTS updates (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS updates_room ON updates (room, id);
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, deactivated_at INTEGER);
CREATE TABLE IF NOT EXISTS phone_numbers (id TEXT PRIMARY KEY, name TEXT NOT NULL, number TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access (member_id TEXT NOT NULL, phone_number_id TEXT NOT NULL,
  PRIMARY KEY (member_id, phone_number_id));
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, phone_number_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS client_owners (room TEXT NOT NULL, client INTEGER NOT NULL,
  member_id TEXT NOT NULL, PRIMARY KEY (room, client));
CREATE TABLE IF NOT EXISTS device_owners (device_id TEXT PRIMARY KEY, member_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epochs (room TEXT PRIMARY KEY, id TEXT NOT NULL, retired TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archive (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL,
  conversation_id TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (room, key));
CREATE INDEX IF NOT EXISTS archive_conversation ON archive (room, conversation_id, seq);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, refresh_gen INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL, ended_at INTEGER, end_reason TEXT, user_agent TEXT, ip TEXT);
CREATE INDEX IF NOT EXISTS sessions_member ON sessions (member_id, created_at);
`

/** Adds the columns a table made by older code lacks. */
function addMissingColumns(db: Database.Database, table: string, columns: Record<string, string>) {
  const has = new Set(
    db
      .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => c.name),
  )
  for (const [name, type] of Object.entries(columns))
    if (!has.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`)
}

/** Append only: a step, once released, is never edited (stores have already run it). */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    does: 'every table; a store made before steps were numbered gains snapshot parts and member removal',
    up(db) {
      db.exec(TABLES)
      addMissingColumns(db, 'snapshots', {
        gen: 'INTEGER NOT NULL DEFAULT 0',
        parts: 'INTEGER NOT NULL DEFAULT 0',
        upto: 'INTEGER NOT NULL DEFAULT 0',
      })
      addMissingColumns(db, 'members', { deactivated_at: 'INTEGER' })
    },
  },
  {
    version: 2,
    does: "numbers connected through a provider (issue 22): the provider's name, and its credentials sealed in a table of their own",
    up(db) {
      addMissingColumns(db, 'phone_numbers', { provider: 'TEXT' })
      db.exec(
        'CREATE TABLE IF NOT EXISTS phone_number_credentials (phone_number_id TEXT PRIMARY KEY, sealed TEXT NOT NULL)',
      )
    },
  },
  {
    version: 3,
    does: 'the outbox (issue 22): replies to send through a provider, one row per outgoing activity',
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS outbox (activity_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL,
        phone_number_id TEXT NOT NULL, conversation_id TEXT NOT NULL, member_id TEXT NOT NULL, provider TEXT NOT NULL,
        from_number TEXT NOT NULL, to_number TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
        state TEXT NOT NULL, due_at INTEGER NOT NULL, tries INTEGER NOT NULL, started_at INTEGER,
        outcome TEXT, reason TEXT, provider_message_id TEXT);
      CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, due_at);
      CREATE INDEX IF NOT EXISTS outbox_provider_id ON outbox (provider, provider_message_id);`)
    },
  },
  {
    version: 4,
    does: "invitations (issue 23), kept by their token's hash, and each member's last activity",
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS invites (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL, role TEXT NOT NULL, phone_number_ids TEXT NOT NULL, created_by TEXT,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, used_by TEXT,
        revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS last_seen (member_id TEXT PRIMARY KEY, at INTEGER NOT NULL);`)
    },
  },
  {
    version: 5,
    does: 'provider calls (issue 22): where a call was filed, for the summaries and transcripts that name only the call',
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS provider_calls (call_key TEXT PRIMARY KEY,
        phone_number_id TEXT NOT NULL, conversation_id TEXT NOT NULL, activity_id TEXT NOT NULL)`)
    },
  },
  {
    version: 6,
    does: "when each outbox attempt was queued (a resend keeps the reply's creation time), for the age of the oldest unsent reply",
    up(db) {
      addMissingColumns(db, 'outbox', { queued_at: 'INTEGER' })
    },
  },
  {
    version: 7,
    does: 'mutes and rules of each phone number (issue 24), applied by the relay as it ingests [F1]–[F8]',
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS triage_rules (id TEXT PRIMARY KEY, phone_number_id TEXT NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, field TEXT, pattern TEXT, days INTEGER,
        created_by TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS triage_rules_number ON triage_rules (phone_number_id, created_at);`)
    },
  },
]

export const SCHEMA_VERSION = migrations.length

/**
 * Runs the steps a store has not run yet, each in its own transaction with its number, and
 * refuses a store written by a newer relay (its steps are unknown here).
 */
export function migrate(db: Database.Database, steps: readonly Migration[] = migrations): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > steps.length)
    throw new Error(`the store is at schema ${current}; this relay knows up to ${steps.length}`)
  for (const step of steps.slice(current))
    db.transaction(() => {
      step.up(db)
      db.pragma(`user_version = ${step.version}`)
    })()
}

/** A snapshot above this size is written in parts of this size, one commit each. */
export const SNAPSHOT_PART_BYTES = 256 * 1024
/**
 * A connection that writes checkpoints only past this many WAL pages, a safety net: the
 * checkpointer thread keeps the WAL short, and a big checkpoint by a writer holds the appends.
 */
export const WRITER_CHECKPOINT_PAGES = 16_384

/**
 * A connection of the store. `synchronous = FULL` in WAL mode fsyncs the WAL at every commit,
 * so a commit survives a crash of the machine, not only of the process.
 */
export function configure(
  db: Database.Database,
  options: { busyTimeoutMs: number; wal?: boolean; writerCheckpoint?: boolean },
): Database.Database {
  if (options.wal) db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
  if (options.writerCheckpoint) db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`)
  return db
}

/**
 * The room log's SQL. A snapshot is kept inline in its row (`parts` 0), or in `parts` rows of
 * `snapshot_parts` (`gen`); it holds the log up to `upto`: log rows up to there are dropped, at
 * once or (after a big snapshot) a few at a time, and never read meanwhile.
 */
export const LogSql = {
  insertUpdate: 'INSERT INTO updates (room, data, crc) VALUES (?, ?, ?)',
  /** The log after the snapshot (`upto`), up to an id. */
  logRange: 'SELECT id, data, crc FROM updates WHERE room = ? AND id > ? AND id <= ? ORDER BY id',
  snapshotRow: 'SELECT data, crc, gen, parts, upto FROM snapshots WHERE room = ?',
  snapshotParts: 'SELECT data FROM snapshot_parts WHERE room = ? AND gen = ? ORDER BY part',
  putSnapshot:
    'INSERT INTO snapshots (room, data, crc, gen, parts, upto) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room) DO UPDATE SET data = excluded.data, crc = excluded.crc, gen = excluded.gen, parts = excluded.parts, upto = excluded.upto',
  dropUpdates: 'DELETE FROM updates WHERE room = ? AND id <= ?',
  dropParts: 'DELETE FROM snapshot_parts WHERE room = ?',
  putPart: 'INSERT INTO snapshot_parts (room, gen, part, data) VALUES (?, ?, ?, ?)',
  nextGen: 'SELECT coalesce(max(gen), 0) + 1 AS gen FROM snapshot_parts WHERE room = ?',
  /** A few rows a step, so a sweep never holds the appends for long. */
  dropOldParts:
    'DELETE FROM snapshot_parts WHERE rowid IN (SELECT rowid FROM snapshot_parts WHERE room = ? AND gen < ? LIMIT 4)',
  dropSomeUpdates:
    'DELETE FROM updates WHERE id IN (SELECT id FROM updates WHERE room = ? AND id <= ? ORDER BY id LIMIT 512)',
} as const

/**
 * The directory's index rows that ride in the room log's commits (see index-rows.ts): each
 * insert keeps the first row, so a row committed twice changes nothing.
 */
export const IndexSql = {
  putConversation: 'INSERT OR IGNORE INTO conversations (id, phone_number_id) VALUES (?, ?)',
  putActivity: 'INSERT OR IGNORE INTO activities (id) VALUES (?)',
  bindClient: 'INSERT OR IGNORE INTO client_owners (room, client, member_id) VALUES (?, ?, ?)',
  putProviderCall:
    'INSERT OR IGNORE INTO provider_calls (call_key, phone_number_id, conversation_id, activity_id) VALUES (?, ?, ?, ?)',
} as const
