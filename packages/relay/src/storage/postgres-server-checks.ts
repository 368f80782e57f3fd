/**
 * @module What a relay checks of its PostgreSQL server before it serves: an ack promises the
 * mark survives a crash, which holds only if the server flushes its WAL and each commit waits
 * for that flush.
 */
import type { Sql } from './postgres-connect.ts'

/** `synchronous_commit` values under which COMMIT returns only after the local WAL flush. */
const FLUSHING = new Set(['on', 'remote_write', 'remote_apply', 'local'])

/** A server the relay must not serve on; the message names the setting and the fix. */
export class UnsafeServerError extends Error {
  override name = 'UnsafeServerError'
}

/** Rejects, naming the setting and the fix, when a commit on this server may not be durable. */
export async function assertDurableServer(sql: Sql): Promise<void> {
  const [row] = await sql<{ fsync: string; synchronous_commit: string }[]>`
    select current_setting('fsync') as fsync,
      current_setting('synchronous_commit') as synchronous_commit`
  if (row?.fsync !== 'on') {
    throw new UnsafeServerError(
      'PostgreSQL runs with fsync = off: a crash of its machine can lose committed marks the ' +
        'relay has acknowledged. Set fsync = on (postgresql.conf or ALTER SYSTEM SET fsync = on, ' +
        'then reload) and start the relay again.',
    )
  }
  if (!FLUSHING.has(row.synchronous_commit)) {
    throw new UnsafeServerError(
      `the relay's PostgreSQL connections run with synchronous_commit = ${row.synchronous_commit}: ` +
        'COMMIT would return before the WAL is flushed. The relay asks for synchronous_commit = on ' +
        'when it connects; a pooler in front of PostgreSQL (pgbouncer) may drop that — connect ' +
        'DATABASE_URL to the server directly, or set synchronous_commit = on for the role ' +
        '(ALTER ROLE … SET synchronous_commit = on).',
    )
  }
}
