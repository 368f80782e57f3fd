/**
 * @module Vitest global setup: one PostgreSQL cluster for the package's whole run; each test file
 * creates its own database on it (`createTestDatabase`).
 */
import { startTestPostgres, TEST_POSTGRES_ENV, type TestPostgres } from './postgres.ts'

let cluster: TestPostgres | undefined

export async function setup(): Promise<void> {
  cluster = await startTestPostgres()
  process.env[TEST_POSTGRES_ENV] = cluster.socketDir
}

export async function teardown(): Promise<void> {
  await cluster?.destroy()
}
