/**
 * Issue 25 T6 — PostgreSQL crashes under a relay [DESIGN §4 "Durable before visible"].
 *
 * One relay on PostgreSQL (fixtures/monitored-relay.ts with DATABASE_URL), ten writers (the client
 * library) marking 10 times a second. PostgreSQL is stopped as a crash (`pg_ctl stop -m
 * immediate`: no shutdown checkpoint) for a few seconds, then started. Checked: no mark made during
 * the outage is acknowledged before PostgreSQL is back; every mark acknowledged before the crash
 * and after is read back by a fresh relay process on the same database. Recorded: how long after
 * PostgreSQL accepts connections every writer is acknowledged again.
 */
import { conversationIds, inboxRoots, markKey, readMark } from '@switchboard/core'
import { createPrng } from '@switchboard/core/testing'
import { createSwitchboard, type Switchboard } from '@switchboard/client/node'
import { startTestPostgres, type TestPostgres } from '@switchboard/relay/testing'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { recordFigures, scale, sleep, waitFor } from './support/figures.ts'
import {
  FIXTURES,
  login,
  spawnRelay,
  tempDir,
  webhookSignature,
  type RelayProcess,
} from './support/relay.ts'

const WRITERS = 10
const MARKS_PER_SECOND = 10
// One in the short profile: the two-relay suite (postgres-outage-relays) crashes PostgreSQL twice more.
const CRASHES = scale(1, 10)
const OUTAGE_MS = 3_000
const WORKSPACE = JSON.stringify({
  phoneNumbers: ['pn-support'],
  members: [['alice', 'owner', ['pn-support']]],
})

const startRelay = (url: string) =>
  spawnRelay(
    { DATABASE_URL: url, DATA_DIR: tempDir('pg-outage'), PORT: '0', WORKSPACE },
    join(FIXTURES, 'monitored-relay.ts'),
  )

async function seedConversations(url: string, n: number) {
  const raw = JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: `pg-seed-${i}`,
      conversationId: `pg-c${i}`,
      phoneNumberId: 'pn-support',
      direction: 'incoming',
      kind: 'message',
      from: `+1555020${String(i).padStart(4, '0')}`,
      to: '+14155551000',
      body: 'Hello',
      at: Date.now() - 60_000,
    })),
  )
  const res = await fetch(`${url}/api/webhooks/activity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-switchboard-signature': webhookSignature(raw),
    },
    body: raw,
  })
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${await res.text()}`)
}

interface Writer {
  sb: Switchboard
  device: string
  /** When each mark was made (ms) and its HLC. */
  marks: { madeAt: number; at: string }[]
  /** Marks acknowledged (the first `acked` of `marks`), and when the count last moved. */
  acked: number
  ackedAt: number
}

const figures: Record<string, unknown> = {}
const processes: RelayProcess[] = []
let pg: TestPostgres | undefined
afterAll(async () => {
  for (const r of processes) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  await pg?.destroy()
  recordFigures('postgres-outage', figures)
})

describe('[§4] PostgreSQL crashes under the relay (issue 25 T6)', () => {
  it(`no mark is acknowledged while PostgreSQL is down, and none acknowledged is lost (${CRASHES} crashes)`, async () => {
    const prng = createPrng(2512)
    pg = await startTestPostgres()
    const url = await pg.createDatabase()
    const relay = await startRelay(url)
    processes.push(relay)
    await seedConversations(relay.url, 40)
    const writers: Writer[] = []
    for (let w = 0; w < WRITERS; w++) {
      const session = await login(relay.url, 'alice@example.com')
      const device = `pg-writer-${w}`
      const sb = createSwitchboard({
        url: relay.url,
        token: session.token,
        expiresAt: session.expiresAt,
        member: session.member,
        storage: 'memory',
        deviceId: device,
      })
      sb.inbox('pn-support')
      const writer: Writer = { sb, device, marks: [], acked: 0, ackedAt: 0 }
      // pending 0: every mark made so far is stored by the relay.
      sb.onStatus((_s, pending) => {
        if (pending === 0 && writer.acked !== writer.marks.length) {
          writer.acked = writer.marks.length
          writer.ackedAt = Date.now()
        }
      })
      writers.push(writer)
    }
    await Promise.all(writers.map((w) => w.sb.whenSynced()))
    let writing = true
    const loops = writers.map(async (w) => {
      const inbox = w.sb.inbox('pn-support')
      const ids = conversationIds(inbox.doc)
      while (writing) {
        const started = Date.now()
        const id = prng.pick(ids)
        await (prng.chance(0.5) ? inbox.markDone(id) : inbox.markUnread(id))
        const at = readMark(inbox.doc, markKey(id, 'status', w.device))!.at
        w.marks.push({ madeAt: Date.now(), at })
        await sleep(Math.max(0, 1000 / MARKS_PER_SECOND - (Date.now() - started)))
      }
    })

    let ackedDuringOutage = 0
    const backMs: number[] = []
    for (let crash = 0; crash < CRASHES; crash++) {
      await sleep(prng.range(1000, 2000))
      const down = Date.now()
      await pg.stop('immediate')
      const ackedAtCrash = writers.map((w) => w.acked)
      await sleep(OUTAGE_MS)
      // A mark made after the crash and counted as acknowledged before the restart was acked
      // without being committed.
      for (const [i, w] of writers.entries())
        for (let m = ackedAtCrash[i]!; m < w.acked; m++)
          if (w.marks[m]!.madeAt > down + 50) ackedDuringOutage++
      await pg.start()
      const up = Date.now()
      // Service is back when every writer has been acknowledged for a mark made after the restart.
      const madeBy = writers.map((w) => w.marks.length)
      await waitFor(
        () => writers.every((w, i) => w.acked > madeBy[i]!),
        'every writer acknowledged again',
        60_000,
      )
      backMs.push(Math.max(...writers.map((w) => w.ackedAt)) - up)
    }
    writing = false
    await Promise.all(loops)
    await Promise.all(writers.map((w) => w.sb.whenSynced()))
    const acked = writers.flatMap((w) =>
      w.marks.slice(0, w.acked).map((m) => ({ ...m, device: w.device })),
    )
    for (const w of writers) await w.sb.destroy()
    relay.child.kill('SIGKILL')
    await relay.exited

    // A fresh relay process on the same database reads back every acknowledged mark.
    const fresh = await startRelay(url)
    processes.push(fresh)
    const check = await login(fresh.url, 'alice@example.com')
    const verifier = createSwitchboard({
      url: fresh.url,
      token: check.token,
      expiresAt: check.expiresAt,
      member: check.member,
      storage: 'memory',
      deviceId: 'pg-verifier',
    })
    const doc = verifier.inbox('pn-support').doc
    await verifier.whenSynced()
    const stored = () =>
      new Set(
        inboxRoots
          .history(doc)
          .toArray()
          .map((h) => `${h.deviceId}|${h.at}`),
      )
    await waitFor(
      () => acked.every((m) => stored().has(`${m.device}|${m.at}`)),
      'acked marks',
      5_000,
    ).catch(() => {})
    const keys = stored()
    const lost = acked.filter((m) => !keys.has(`${m.device}|${m.at}`)).length
    await verifier.destroy()
    fresh.child.kill('SIGTERM')
    await fresh.exited

    Object.assign(figures, {
      writers: WRITERS,
      marksPerSecondPerWriter: MARKS_PER_SECOND,
      crashes: CRASHES,
      outageMs: OUTAGE_MS,
      marksAcknowledged: acked.length,
      acknowledgedLost: lost,
      ackedDuringOutage,
      serviceBackAfterPostgresMs: backMs,
    })
    expect(acked.length).toBeGreaterThan(CRASHES * WRITERS)
    expect(ackedDuringOutage).toBe(0)
    expect(lost).toBe(0)
  })
})
