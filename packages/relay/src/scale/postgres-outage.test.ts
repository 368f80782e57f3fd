/**
 * A relay whose PostgreSQL hangs (every server process SIGSTOPped) or goes away (docs/scale-out.md
 * "Relays and leases", "Lost leases and drains"): each renewal has its own deadline, so the relay
 * stops serving before its lease could end and serves again as soon as PostgreSQL answers, once;
 * a webhook it cannot queue is answered 503 with Retry-After, and the provider's retry is taken in
 * once PostgreSQL is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectPostgres, type Sql } from '../storage/postgres-connect.ts'
import { createPostgresStorage } from '../storage/postgres.ts'
import { incoming, startTestRelay } from '../test-helpers.ts'
import { startTestPostgres, type TestPostgres } from '../testing/postgres.ts'
import { startRelayRegistry } from './relay-registry.ts'

/** Polls a check every few milliseconds (no fixed sleeps). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 10_000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const fast = { heartbeatMs: 50, leaseMs: 300 }

describe('a relay whose PostgreSQL hangs or goes away', () => {
  let pg: TestPostgres
  const pools: Sql[] = []
  beforeAll(async () => {
    pg = await startTestPostgres()
  }, 60_000)
  afterAll(async () => {
    pg.resume()
    for (const p of pools) await p.end({ timeout: 1 })
    await pg.destroy()
  })

  it('PostgreSQL paused past the lease: the relay stops serving while paused, serves again once it answers, and does not lose its lease again', async () => {
    const sql = connectPostgres(await pg.createDatabase(), { max: 2 })
    pools.push(sql)
    const events: string[] = []
    let renewed = 0
    const a = await startRelayRegistry(sql, {
      relayId: 'a',
      internalUrl: 'http://a',
      ...fast,
      onLost: () => events.push('lost'),
      onRegained: () => events.push('regained'),
      onRenewed: () => renewed++,
    })
    try {
      await eventually(() => renewed > 2, 'renewals')
      pg.pause()
      await eventually(() => events.length === 1, 'the lease to be given up')
      expect(a.serving).toBe(false)
      // Paused a whole lease longer: the renewal sent before the pause is far too old on waking.
      const lostAt = renewed
      await new Promise((r) => setTimeout(r, fast.leaseMs))
      expect(renewed).toBe(lostAt)
      pg.resume()
      // Well before postgres.js's 30-s connect timeout, which a renewal no longer waits out.
      await eventually(() => a.serving, 'renewal to work again', 20_000)
      const after = renewed
      await eventually(() => renewed >= after + 5, 'five renewals more')
      expect(events).toEqual(['lost', 'regained'])
    } finally {
      await a.stop()
    }
  })

  it(
    '[W6] a webhook while PostgreSQL is down is answered 503 with Retry-After, nothing taken in; the provider’s retry once it is back is taken in once',
    { timeout: 60_000 },
    async () => {
      const storage = await createPostgresStorage({
        url: await pg.createDatabase(),
        relayId: 'solo',
      })
      const relay = await startTestRelay({ storage })
      try {
        const activity = incoming('c-outage-1', 'pn-a')
        await pg.stop('fast')
        const refused = await relay.webhook(activity)
        expect(refused.status).toBe(503)
        expect(refused.headers.get('retry-after')).toBe('5')
        expect(await refused.json()).toEqual({
          error: 'store unavailable (io): not taken in, retry later',
        })
        await pg.start()
        // The provider retries until it is taken in: every answer until then is the same 503.
        let status = 0
        await eventually(
          async () => {
            const res = await relay.webhook(activity)
            status = res.status
            if (status === 202)
              expect(await res.json()).toMatchObject({ results: [{ duplicate: false }] })
            else expect(status).toBe(503)
            return status === 202
          },
          'the retry to be taken in',
          20_000,
        )
        const again = await relay.webhook(activity)
        expect(await again.json()).toMatchObject({ results: [{ duplicate: true }] })
        const [row] = await storage.sql<{ n: number }[]>`
        select count(*)::int as n from inbound where event_id = ${activity.id}`
        expect(row!.n).toBe(2)
      } finally {
        await relay.close()
      }
    },
  )
})
