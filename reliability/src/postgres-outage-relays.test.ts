/**
 * Issue 25 T6 with two relays — PostgreSQL crashes under both [DESIGN §4 "Durable before visible"].
 *
 * Two relay processes as operators run them (`main()` on PostgreSQL: registry, leases, routing;
 * support/pg-relays.ts) share one database; ten writers (the client library, both URLs, half
 * starting on each, so half reach the room's owner through the other relay's link) mark 10 times a
 * second. PostgreSQL is stopped as a crash (`pg_ctl stop -m immediate`) and started again, once
 * for less than the lease (the relays keep their rooms) and once for longer (both relays stop
 * serving, then serve again once they renew). Checked: no mark made during an outage is
 * acknowledged before PostgreSQL is back; every acknowledged mark is read back once by a fresh
 * replica. Recorded: how long after PostgreSQL accepts connections every writer is acknowledged
 * again (the target is ≤ 5 s; not asserted: timings are measured, tests check correctness).
 */
import { createPrng } from '@switchboard/core/testing'
import { startTestPostgres, type TestPostgres } from '@switchboard/relay/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { recordFigures, scale, sleep, waitFor } from './support/figures.ts'
import { readBack, seedConversations, startPgRelay, startWriters } from './support/pg-relays.ts'
import type { RelayProcess } from './support/relay.ts'

const WRITERS = 10
const MARKS_PER_SECOND = 10
/** The operators' default lease: the first outage stays inside it, the second outlasts it. */
const LEASE = { leaseMs: 5000, heartbeatMs: 1000 }
const OUTAGES_MS = scale([2000, 6000], [2000, 6000, 2000, 6000, 3000, 8000])

const figures: Record<string, unknown> = {}
const processes: RelayProcess[] = []
let pg: TestPostgres | undefined
afterAll(async () => {
  for (const r of processes) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  await pg?.destroy()
  recordFigures('postgres-outage-relays', figures)
})

describe('[§4] PostgreSQL crashes under two relays (issue 25 T6)', () => {
  it(`no mark is acknowledged while PostgreSQL is down, and none acknowledged is lost (outages of ${OUTAGES_MS.join(', ')} ms)`, async () => {
    const prng = createPrng(2516)
    pg = await startTestPostgres()
    const url = await pg.createDatabase()
    const a = await startPgRelay(url, 'a', { seed: true, ...LEASE })
    processes.push(a)
    const b = await startPgRelay(url, 'b', { seed: false, ...LEASE })
    processes.push(b)
    // Written by a: a loads the room first and owns it.
    await seedConversations(a.url, 40)
    const half = WRITERS / 2
    const loads = [
      await startWriters([a.url, b.url], half, MARKS_PER_SECOND, prng, 'pg6-a'),
      await startWriters([b.url, a.url], half, MARKS_PER_SECOND, prng, 'pg6-b'),
    ]
    const writers = loads.flatMap((l) => l.writers)

    let ackedDuringOutage = 0
    const backMs: number[] = []
    /** Per outage, the writers' sockets closed from the crash until service was back, by code. */
    const closes: Record<string, number>[] = []
    for (const outageMs of OUTAGES_MS) {
      await sleep(prng.range(1000, 2000))
      const down = Date.now()
      await pg.stop('immediate')
      const ackedAtCrash = writers.map((w) => w.acked)
      await sleep(outageMs)
      // A mark made after the crash and counted as acknowledged before the restart was acked
      // without being committed.
      for (const [i, w] of writers.entries())
        for (let m = ackedAtCrash[i]!; m < w.acked; m++)
          if (w.madeAt[m]! > down + 50) ackedDuringOutage++
      await pg.start()
      const up = Date.now()
      // Service is back when every writer has been acknowledged for a mark made after the restart.
      const madeBy = writers.map((w) => w.marks.length)
      await waitFor(
        () => writers.every((w, i) => w.acked > madeBy[i]!),
        `every writer acknowledged again after a ${outageMs}-ms outage`,
        60_000,
      )
      backMs.push(Date.now() - up)
      const byCode: Record<string, number> = {}
      for (const w of writers)
        for (const c of w.closes) if (c.at >= down) byCode[c.code] = (byCode[c.code] ?? 0) + 1
      closes.push(byCode)
    }
    await Promise.all(loads.map((l) => l.stop()))
    const acked = loads.flatMap((l) => l.acked())
    const made = writers.reduce((n, w) => n + w.marks.length, 0)
    for (const w of writers) await w.sb.destroy()
    // A fresh replica on either relay reads back every acknowledged mark, each once.
    const { lost, doubled } = await readBack(b.url, acked)

    Object.assign(figures, {
      writers: WRITERS,
      marksPerSecondPerWriter: MARKS_PER_SECOND,
      leaseMs: LEASE.leaseMs,
      outagesMs: OUTAGES_MS,
      marksMade: made,
      marksAcknowledged: acked.length,
      acknowledgedLost: lost,
      marksStoredTwice: doubled,
      ackedDuringOutage,
      // From `pg_ctl start` returning (it waits until PostgreSQL accepts connections).
      serviceBackAfterPostgresMs: backMs,
      socketClosesByOutage: closes,
    })
    expect(acked.length).toBeGreaterThan(OUTAGES_MS.length * WRITERS)
    expect(ackedDuringOutage).toBe(0)
    expect(lost).toBe(0)
    expect(doubled).toBe(0)
  })
})
