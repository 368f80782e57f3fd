/**
 * Issue 25 T5 — a relay drained under load (SIGTERM) [DESIGN §4 "Durable before visible"].
 *
 * Two relay processes as operators run them (`main()` on PostgreSQL: registry, routing by leases,
 * drain on SIGTERM) share one database; ten writers (the client library, both relays' URLs)
 * mark 10 times a second in the room the first relay owns. The owner gets SIGTERM: it drains
 * (acks out, sockets closed with 1001, its leases released) and exits; the writers move to the
 * other relay, which claims the room at once. The lease is 10 minutes, so a room served again
 * during the test was released, not waited out. Soak: more drains, alternating, the drained
 * relay started again each time.
 *
 * Checked: every acknowledged mark is read back by a fresh replica, none twice, and every writer
 * is acknowledged again after each drain. Recorded: the longest time each writer went without an
 * acknowledgement around a drain (the target is ≤ 1 s; asserted in the soak profile).
 */
import { createPrng } from '@switchboard/core/testing'
import { startTestPostgres, type TestPostgres } from '@switchboard/relay/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { percentile, recordFigures, scale, SOAK, sleep } from './support/figures.ts'
import { readBack, seedConversations, startPgRelay, startWriters } from './support/pg-relays.ts'
import type { RelayProcess } from './support/relay.ts'

const WRITERS = 10
const MARKS_PER_SECOND = 10
const DRAINS = scale(1, 6)
const LEASE = { leaseMs: 600_000, heartbeatMs: 1000 }

const figures: Record<string, unknown> = {}
const processes: RelayProcess[] = []
let pg: TestPostgres | undefined
afterAll(async () => {
  for (const r of processes) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  await pg?.destroy()
  recordFigures('postgres-drain', figures)
})

describe('[§4] a relay drained under load (issue 25 T5)', () => {
  it(`no acknowledged mark is lost or doubled, and the writers carry on through the other relay (${DRAINS} drains)`, async () => {
    const prng = createPrng(2505)
    pg = await startTestPostgres()
    const url = await pg.createDatabase()
    const relays: Record<'a' | 'b', RelayProcess> = {
      a: await startPgRelay(url, 'a', { seed: true, ...LEASE }),
      b: await startPgRelay(url, 'b', { seed: false, ...LEASE }),
    }
    processes.push(relays.a, relays.b)
    // Written by a: a loads the room first and owns it.
    await seedConversations(relays.a.url, 40)
    const load = await startWriters(
      [relays.a.url, relays.b.url],
      WRITERS,
      MARKS_PER_SECOND,
      prng,
      'drain-writer',
    )

    const gapsMs: number[] = []
    const phases: Record<'lastAckToTerm' | 'termToClose' | 'closeToOpen' | 'openToAck', number>[] =
      []
    /** Each drain's SIGTERM (ms since the epoch), its gaps and its writers' phases, in order. */
    const perDrain: { termAt: number; gapsMs: number[]; phases: typeof phases }[] = []
    let owner: 'a' | 'b' = 'a'
    for (let drain = 0; drain < DRAINS; drain++) {
      await sleep(prng.range(1000, 2000))
      const drained = relays[owner]
      const other: 'a' | 'b' = owner === 'a' ? 'b' : 'a'
      const termAt = Date.now()
      drained.child.kill('SIGTERM')
      expect(await drained.exited).toBe(0)
      const exitedAt = Date.now()
      // Carried on: every writer acknowledged for a mark made after the drained relay exited.
      await load.ackedAgain('every writer acknowledged again through the other relay')
      const port = `:${relays[other].port}`
      expect(load.writers.filter((w) => !w.sb.relay.includes(port))).toEqual([])
      // Per writer, the longest wait between acknowledgements from the last one before the
      // SIGTERM to the first one after the drained relay exited.
      const drainGaps = gapsMs.length
      const drainPhases = phases.length
      for (const w of load.writers) {
        const t = w.ackTimes
        const from = Math.max(
          0,
          t.findLastIndex((x) => x < termAt),
        )
        const to = t.findIndex((x) => x >= exitedAt)
        let gap = 0
        for (let i = from; i < to; i++) gap = Math.max(gap, t[i + 1]! - t[i]!)
        gapsMs.push(gap)
        // Where the gap went: the drain up to the socket's close, the client's reconnection to
        // the other relay, and that relay's first acknowledgement (it claims and loads the room).
        const close = w.closes.find((c) => c.at >= termAt)
        const open = close && w.opens.find((o) => o.at >= close.at && o.port === port.slice(1))
        const ack = open && t.find((x) => x >= open.at)
        if (close && open && ack !== undefined)
          phases.push({
            lastAckToTerm: termAt - (t[from] ?? termAt),
            termToClose: close.at - termAt,
            closeToOpen: open.at - close.at,
            openToAck: ack - open.at,
          })
      }
      perDrain.push({
        termAt,
        gapsMs: gapsMs.slice(drainGaps),
        phases: phases.slice(drainPhases),
      })
      if (drain + 1 < DRAINS) {
        // The drained relay comes back (same id, same port: the writers' list names it there):
        // the next drain moves the writers to it.
        const samePort = drained.port
        relays[owner] = await startPgRelay(url, owner, { seed: false, port: samePort, ...LEASE })
        processes.push(relays[owner])
      }
      owner = other
    }
    await load.stop()
    const acked = load.acked()
    for (const w of load.writers) await w.sb.destroy()
    // A fresh replica on the surviving relay reads back every acknowledged mark, each once.
    const { lost, doubled } = await readBack(relays[owner].url, acked)

    Object.assign(figures, {
      writers: WRITERS,
      marksPerSecondPerWriter: MARKS_PER_SECOND,
      drains: DRAINS,
      marksAcknowledged: acked.length,
      acknowledgedLost: lost,
      marksStoredTwice: doubled,
      longestAckGapMs: Math.max(...gapsMs),
      ackGapsMs: gapsMs,
      phasesMs: Object.fromEntries(
        (['lastAckToTerm', 'termToClose', 'closeToOpen', 'openToAck'] as const).map((k) => {
          const v = phases.map((p) => p[k])
          return [k, { min: Math.min(...v), p50: percentile(v, 50), max: Math.max(...v) }]
        }),
      ),
      perDrain,
    })
    expect(acked.length).toBeGreaterThan(DRAINS * WRITERS)
    expect(lost).toBe(0)
    expect(doubled).toBe(0)
    if (SOAK) expect(Math.max(...gapsMs)).toBeLessThanOrEqual(1000)
  })
})
