/**
 * @module `switchboard-relay migrate`: copies the SQLite store of DATA_DIR into an empty
 * PostgreSQL database (`--to`), or a PostgreSQL database into an empty SQLite store (`--from`),
 * then proves the copy room by room (storage/store-copy.ts; docs/scale-out.md "Moving a store").
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createPostgresStorage, type PostgresStorage } from './storage/postgres.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { copyStore, verifyCopy, type CopyableStorage } from './storage/store-copy.ts'

export interface MigrateArgs {
  to?: string
  from?: string
}

/** Relays whose heartbeat is recent: a database being served must not be copied or written. */
async function liveRelays(storage: PostgresStorage): Promise<string[]> {
  const [table] = await storage.sql`select to_regclass('relays') is not null as present`
  if (!table?.present) return []
  const rows = await storage.sql<{ id: string }[]>`
    select id from relays where heartbeat > now() - interval '30 seconds' order by id`
  return rows.map((r) => r.id)
}

/**
 * Webhooks a relay took in that no room holds yet (scale/inbound-queue.ts): a SQLite store has no
 * queue to carry them, so a copy made now would drop accepted deliveries.
 */
async function pendingInbound(
  storage: PostgresStorage,
): Promise<{ rows: number; rooms: string[] }> {
  const [table] = await storage.sql`select to_regclass('inbound') is not null as present`
  if (!table?.present) return { rows: 0, rooms: [] }
  const rows = await storage.sql<{ room: string; n: number }[]>`
    select room, count(*)::int as n from inbound where done_at is null group by room order by room`
  return { rows: rows.reduce((sum, r) => sum + r.n, 0), rooms: rows.map((r) => r.room) }
}

export async function runMigrate(
  args: MigrateArgs,
  dataDir: string,
  print: (line: string) => void = console.log,
): Promise<number> {
  if ((args.to === undefined) === (args.from === undefined)) {
    print('error: migrate needs exactly one of --to <postgres://…> or --from <postgres://…>')
    return 1
  }
  const url = (args.to ?? args.from)!
  const sqlitePath = join(dataDir, 'relay.db')
  if (args.to !== undefined && !existsSync(sqlitePath)) {
    print(`error: --to copies ${sqlitePath}, which does not exist`)
    return 1
  }
  const sqlite = createSqliteStorage({ path: sqlitePath })
  let postgres: PostgresStorage | null = null
  try {
    postgres = await createPostgresStorage({ url, relayId: 'switchboard-relay-migrate', max: 4 })
    const live = await liveRelays(postgres)
    if (live.length > 0) {
      print(`error: relays are serving this database (${live.join(', ')}): stop them first`)
      return 2
    }
    if (args.from !== undefined) {
      const pending = await pendingInbound(postgres)
      if (pending.rows > 0) {
        const shown = pending.rooms.slice(0, 5).join(', ')
        const more = pending.rooms.length > 5 ? `, … ${pending.rooms.length - 5} more` : ''
        print(
          `error: ${pending.rows} accepted webhook rows wait in the inbound queue, not applied to ` +
            `their rooms yet (${shown}${more}); a SQLite store has no queue to carry them. Start ` +
            'one relay on this database (it applies them within a second), stop it once ' +
            '`select count(*) from inbound where done_at is null` answers 0, then migrate again',
        )
        return 2
      }
    }
    const [source, target]: [CopyableStorage, CopyableStorage] =
      args.to !== undefined ? [sqlite, postgres] : [postgres, sqlite]
    const direction =
      args.to !== undefined ? `${sqlitePath} → PostgreSQL` : `PostgreSQL → ${sqlitePath}`
    print(`copying ${direction}`)
    let shown = 0
    const report = await copyStore(source, target, (_room, done, total) => {
      if (done === total || done - shown >= 500) {
        shown = done
        print(`  rooms ${done}/${total}`)
      }
    })
    const records = Object.entries(report.records)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')
    print(`copied ${report.rooms} rooms, ${report.archived} archived entries; ${records}`)
    const problems = await verifyCopy(source, target)
    if (problems.length > 0) {
      print(`error: the copy differs from its source:\n  ${problems.join('\n  ')}`)
      return 3
    }
    print(
      'verified: every room (document, derived conversations, epoch, archive) and the directory match',
    )
    return 0
  } catch (error) {
    print(`error: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  } finally {
    await sqlite.close().catch(() => {})
    await postgres?.close().catch(() => {})
  }
}
