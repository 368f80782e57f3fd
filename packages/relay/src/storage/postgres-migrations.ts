/**
 * @module Numbered schema migrations on PostgreSQL, one list per part of the store (the room log,
 * the directory, …), so each part owns its tables. Relays starting together take an advisory
 * lock, so one of them applies a step and the others see it applied.
 */
import type { Sql } from './postgres-connect.ts'

/** Any number of SQL statements; step N brings a part from version N to N + 1. */
export type MigrationStep = string

const LOCK_KEY = 0x5b0a7d // "switchboard schema": any constant shared by every relay

/** Applies the steps of `part` not applied yet, each in its own transaction; returns the version. */
export async function migratePart(sql: Sql, part: string, steps: MigrationStep[]): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`
    await tx`create table if not exists schema_migrations (
      part text primary key,
      version integer not null
    )`
    const [row] = await tx<{ version: number }[]>`
      select version from schema_migrations where part = ${part}`
    const from = row?.version ?? 0
    if (from > steps.length) {
      throw new Error(
        `the database's ${part} schema is version ${from}, newer than this relay knows (${steps.length}): upgrade the relay`,
      )
    }
    for (let version = from; version < steps.length; version++) {
      await tx.unsafe(steps[version]!)
    }
    await tx`insert into schema_migrations (part, version) values (${part}, ${steps.length})
      on conflict (part) do update set version = excluded.version`
    return steps.length
  })
}
