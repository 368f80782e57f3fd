/**
 * @module The `relays` table on PostgreSQL (docs/scale-out.md "Relays and leases"): each relay's
 * heartbeat, which the registry renews (scale/relay-registry.ts) and the room log reads to decide
 * whether a room's owner is alive before taking the room.
 */
import type { Sql } from './postgres-connect.ts'
import { migratePart, type MigrationStep } from './postgres-migrations.ts'

/** Append only: a step, once released, is never edited (databases have already run it). */
export const relaysSteps: readonly MigrationStep[] = [
  `create table relays (
    id text primary key,
    url text not null,
    started_at timestamptz not null default now(),
    heartbeat timestamptz not null,
    draining boolean not null default false
  )`,
]

/** Creates or updates the `relays` table. */
export function migrateRelays(sql: Sql): Promise<number> {
  return migratePart(sql, 'relays', [...relaysSteps])
}
