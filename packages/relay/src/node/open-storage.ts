/**
 * @module Which store a relay runs on: SQLite in DATA_DIR (the embedded default), or PostgreSQL
 * when `DATABASE_URL` is set (docs/scale-out.md), with the secrets each needs.
 */
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { PostgresStorage } from '../storage/postgres.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import { createSqliteStorage } from '../storage/sqlite.ts'
import type { RelayEnv } from './env.ts'
import { secretFrom } from './secrets.ts'

export interface OpenedStorage {
  storage: RelayStorage
  /** The same store when it is PostgreSQL: several relays may share it. */
  postgres?: PostgresStorage
  secret: string
  webhookSecret: string
  /** This relay's name among those sharing the store. */
  relayId: string
  /**
   * Runs `fn` (the demo's seeding) if the store holds no member yet, once among relays starting
   * together on one database.
   */
  ifEmpty(fn: () => Promise<void>): Promise<void>
}

type Settings = Pick<
  RelayEnv,
  'DATABASE_URL' | 'RELAY_ID' | 'SWITCHBOARD_SECRET' | 'WEBHOOK_SECRET' | 'PORT'
> &
  Partial<Pick<RelayEnv, 'LEASE_MS'>>

/** A setting that only makes sense with another one: stops the start with both names. */
export class StorageSettingError extends Error {
  override name = 'StorageSettingError'
}

export async function openStorage(settings: Settings, dataDir: string): Promise<OpenedStorage> {
  const relayId = settings.RELAY_ID ?? `${hostname()}-${settings.PORT}`
  if (!settings.DATABASE_URL) {
    const storage = createSqliteStorage({ path: join(dataDir, 'relay.db') })
    return {
      storage,
      secret: secretFrom(dataDir, 'switchboard-secret', settings.SWITCHBOARD_SECRET),
      webhookSecret: secretFrom(dataDir, 'webhook-secret', settings.WEBHOOK_SECRET),
      relayId,
      async ifEmpty(fn) {
        if (storage.listMembers().length === 0) await fn()
      },
    }
  }
  // Every relay on the database signs and checks the same tokens and webhooks: a secret
  // generated into one relay's DATA_DIR would be unknown to the others.
  const missing = (['SWITCHBOARD_SECRET', 'WEBHOOK_SECRET'] as const).filter((n) => !settings[n])
  if (missing.length > 0)
    throw new StorageSettingError(
      `DATABASE_URL is set, so ${missing.join(' and ')} must be set too, the same on every relay sharing the database`,
    )
  const { createPostgresStorage } = await import('../storage/postgres.ts')
  const storage = await createPostgresStorage({
    url: settings.DATABASE_URL,
    relayId,
    ...(settings.LEASE_MS === undefined ? {} : { leaseMs: settings.LEASE_MS }),
  })
  return {
    storage,
    postgres: storage,
    secret: settings.SWITCHBOARD_SECRET!,
    webhookSecret: settings.WEBHOOK_SECRET!,
    relayId,
    async ifEmpty(fn) {
      // One connection holds the lock while the store is read and seeded, so of relays starting
      // together on an empty database one seeds and the others see its members.
      const conn = await storage.sql.reserve()
      try {
        await conn`select pg_advisory_lock(${SEED_LOCK})`
        const [row] = await conn<{ empty: boolean }[]>`
          select not exists (select 1 from members) as empty`
        if (row?.empty) {
          await fn()
          await storage.whenDurable()
        }
      } finally {
        await conn`select pg_advisory_unlock(${SEED_LOCK})`.catch(() => {})
        conn.release()
      }
    },
  }
}

const SEED_LOCK = 0x5b0a7e
