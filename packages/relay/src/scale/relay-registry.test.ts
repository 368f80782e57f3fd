import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connectPostgres, type Sql } from '../storage/postgres-connect.ts'
import { createTestDatabase, startTestPostgres, type TestPostgres } from '../testing/postgres.ts'
import { startRelayRegistry, type RelayRegistry } from './relay-registry.ts'

/** Polls an async check on every few milliseconds (no fixed sleeps). */
async function eventually(check: () => Promise<boolean>, what: string, limitMs = 10_000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const ids = async (r: RelayRegistry) => (await r.live()).map((x) => x.id)
const fast = { heartbeatMs: 50, leaseMs: 300 }

describe('relays sharing one database: heartbeats and leases', () => {
  let url: string
  const pools: Sql[] = []
  const registries: RelayRegistry[] = []
  const pool = () => {
    const sql = connectPostgres(url, { max: 2 })
    pools.push(sql)
    return sql
  }
  beforeAll(async () => {
    url = await createTestDatabase()
  })
  afterEach(async () => {
    for (const r of registries.splice(0)) await r.stop()
    for (const p of pools.splice(0)) await p.end()
  })

  it('each relay sees the live relays and both choose the same owner for a room', async () => {
    const a = await startRelayRegistry(pool(), { relayId: 'a', internalUrl: 'http://a', ...fast })
    const b = await startRelayRegistry(pool(), { relayId: 'b', internalUrl: 'http://b', ...fast })
    registries.push(a, b)
    await eventually(async () => (await ids(a)).join() === 'a,b', 'a to see b')
    await eventually(async () => (await ids(b)).join() === 'a,b', 'b to see a')
    for (const room of ['inbox:pn1', 'inbox:pn2', 'conversation:c1', 'workspace'])
      expect((await a.preferredOwner(room)).id).toBe((await b.preferredOwner(room)).id)
  })

  it('a stopped relay gives its lease up at once; a draining one is never chosen', async () => {
    const a = await startRelayRegistry(pool(), { relayId: 'a', internalUrl: 'http://a', ...fast })
    const b = await startRelayRegistry(pool(), { relayId: 'b', internalUrl: 'http://b', ...fast })
    const c = await startRelayRegistry(pool(), { relayId: 'c', internalUrl: 'http://c', ...fast })
    registries.push(a, b, c)
    await eventually(async () => (await ids(a)).length === 3, 'three live relays')
    await c.drain()
    await eventually(async () => {
      const owners = await Promise.all(
        Array.from({ length: 60 }, (_, i) => a.preferredOwner(`inbox:pn${i}`)),
      )
      return owners.every((o) => o.id !== 'c')
    }, 'no room to prefer the draining relay')
    await b.stop()
    await eventually(async () => (await ids(a)).join() === 'a,c', 'a to see b gone')
  })

  it('a relay that cannot renew stops serving before the others may take its rooms', async () => {
    const events: string[] = []
    const sqlA = pool()
    const a = await startRelayRegistry(sqlA, {
      relayId: 'a',
      internalUrl: 'http://a',
      ...fast,
      onLost: () => events.push('a stops serving'),
    })
    const b = await startRelayRegistry(pool(), { relayId: 'b', internalUrl: 'http://b', ...fast })
    registries.push(b)
    await eventually(async () => (await ids(b)).join() === 'a,b', 'b to see a')
    // a's connections end: it can no longer renew (as if cut off from the database).
    await sqlA.end()
    await eventually(async () => {
      const seen = await ids(b)
      if (!seen.includes('a')) events.push('b sees a dead')
      return !seen.includes('a')
    }, 'b to see a dead')
    expect(events[0]).toBe('a stops serving')
    expect(a.serving).toBe(false)
    await a.stop()
  })

  it('refuses a heartbeat longer than half the lease', async () => {
    await expect(
      startRelayRegistry(pool(), {
        relayId: 'x',
        internalUrl: 'http://x',
        heartbeatMs: 3000,
        leaseMs: 5000,
      }),
    ).rejects.toThrow('HEARTBEAT_MS (3000) must be at most half of LEASE_MS (5000)')
  })
})

describe('a relay whose database crashes', () => {
  let pg: TestPostgres
  beforeAll(async () => {
    pg = await startTestPostgres()
  }, 60_000)
  afterAll(() => pg.destroy())

  it(
    'stops serving during the outage and serves again once renewal works',
    { timeout: 60_000 },
    async () => {
      const sql = connectPostgres(await pg.createDatabase(), { max: 2 })
      let lost = 0
      let regained = 0
      const a = await startRelayRegistry(sql, {
        relayId: 'a',
        internalUrl: 'http://a',
        ...fast,
        onLost: () => lost++,
        onRegained: () => regained++,
      })
      try {
        await pg.stop('immediate')
        await eventually(async () => lost === 1, 'the lease to be given up')
        expect(a.serving).toBe(false)
        await pg.start()
        // Each renewal has its own deadline: none waits out postgres.js's 30-s connect timeout.
        await eventually(async () => regained === 1, 'renewal to work again', 20_000)
        expect(a.serving).toBe(true)
        expect(lost).toBe(1)
      } finally {
        await a.stop()
        await sql.end()
      }
    },
  )
})
