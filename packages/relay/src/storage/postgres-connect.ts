/**
 * @module Opening a PostgreSQL connection pool from `DATABASE_URL`, with the settings the relay's
 * promise needs on every connection it opens (docs/scale-out.md).
 */
import postgres from 'postgres'

export type Sql = postgres.Sql

/**
 * Splits a `postgres://` URL into the client's options. A `host` query parameter naming a
 * directory selects a unix socket, as libpq reads it (`postgres://user@/db?host=/run/postgresql`);
 * the client itself only takes that from its options.
 */
export function postgresOptions(databaseUrl: string): { url: string; host?: string } {
  let parsed: URL
  try {
    // libpq allows an empty host (`postgres://user@/db`); WHATWG URLs do not.
    parsed = new URL(databaseUrl.replace(/^(postgres(?:ql)?:\/\/(?:[^/@]*@)?)\//, '$1localhost/'))
  } catch {
    throw new Error('DATABASE_URL is not a URL (expected postgres://user@host/database)')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// (got ${parsed.protocol}//)`)
  }
  const socketDir = parsed.searchParams.get('host')
  if (socketDir === null) return { url: databaseUrl }
  parsed.searchParams.delete('host')
  return { url: parsed.toString(), host: socketDir }
}

export interface ConnectOptions {
  /** Connections in the pool (default 10). */
  max?: number
  /** Called with each server notice (warnings), instead of the client's console output. */
  onnotice?: (notice: postgres.Notice) => void
  /**
   * Ms after which the server ends a connection left idle inside a transaction, releasing its
   * locks (`idle_in_transaction_session_timeout`); unset, the server's own (default: never).
   */
  idleInTransactionMs?: number
}

/** Seconds before a closed connection is opened again: 50 ms doubling, at most 500 ms. */
export const reconnectBackoff = (retries: number): number => Math.min(0.05 * 2 ** retries, 0.5)

/**
 * A pool whose every connection commits synchronously, whatever the server's default: an ack
 * means the WAL is flushed (DESIGN §4 "durable before visible").
 */
export function connectPostgres(databaseUrl: string, options: ConnectOptions = {}): Sql {
  const { url, host } = postgresOptions(databaseUrl)
  return postgres(url, {
    ...(host === undefined ? {} : { host }),
    max: options.max ?? 10,
    onnotice: options.onnotice ?? (() => {}),
    // The client's own backoff grows to 20 s after a few failed attempts, so an outage of a
    // few seconds kept the relay away for up to 20 s after PostgreSQL was back.
    backoff: reconnectBackoff,
    connection: {
      synchronous_commit: 'on',
      application_name: 'switchboard-relay',
      ...(options.idleInTransactionMs === undefined
        ? {}
        : {
            idle_in_transaction_session_timeout: Math.max(
              1,
              Math.floor(options.idleInTransactionMs),
            ),
          }),
    },
  })
}

/** True for a failure to reach PostgreSQL (not an error of one statement). */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return false
  // SQLSTATE classes 08 (connection exception) and 57 (operator intervention: shutdown).
  if (/^(08|57)[0-9A-Z]{3}$/.test(code)) return true
  return code.startsWith('CONNECT') || code.startsWith('E')
}
