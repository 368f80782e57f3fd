/**
 * Issue 25 T4 — a relay paused past its lease (a zombie) [DESIGN §4 "Durable before visible"].
 *
 * Two relay processes as operators run them (`main()` on PostgreSQL, `LEASE_MS` 1000) share one
 * database; ten writers (the client library, both relays' URLs) mark 10 times a second in the room
 * the first relay owns. The owner gets SIGSTOP and stays stopped past its lease; the writers keep
 * sending marks into its sockets. A replica opening the room on the other relay makes it take the
 * room over (a new fence). Then the zombie gets SIGCONT. A trigger records, for every row appended
 * to the room log, the room's fence when it was written. Soak: more pauses, alternating.
 *
 * Checked: no row was appended under an older fence after the takeover; every acknowledged mark
 * is read back, none twice; every writer is acknowledged again. Recorded: how long after SIGCONT
 * each writer's socket on the zombie closed (the target is ≤ 1 s; asserted in the soak profile).
 */
import { createPrng } from '@switchboard/core/testing'
import { createSwitchboard } from '@switchboard/client/node'
import { postgresBinDir, startTestPostgres, type TestPostgres } from '@switchboard/relay/testing'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { recordFigures, scale, SOAK, sleep, waitFor } from './support/figures.ts'
import {
  ROOM_NUMBER,
  readBack,
  seedConversations,
  startPgRelay,
  startWriters,
} from './support/pg-relays.ts'
import { login, type RelayProcess } from './support/relay.ts'

const WRITERS = 10
const MARKS_PER_SECOND = 10
const PAUSES = scale(1, 5)
const LEASE = { leaseMs: 1000, heartbeatMs: 200 }
const ROOM = `inbox:${ROOM_NUMBER}`

/** Runs one statement with psql on the test cluster's database at `url`; its rows, tab-separated. */
function psql(url: string, statement: string): string {
  const u = new URL(url)
  return execFileSync(
    join(postgresBinDir(), 'psql'),
    [
      '-h',
      u.searchParams.get('host')!,
      '-U',
      'postgres',
      '-d',
      u.pathname.slice(1),
      '-Atq',
      '-c',
      statement,
    ],
    { encoding: 'utf8' },
  ).trim()
}

const AUDIT = `
  create table append_audit (room text, seq bigint, fence bigint, owner text);
  create function audit_append() returns trigger language plpgsql as $$ begin
    insert into append_audit select new.room, new.seq, r.fence, r.owner from room r where r.room = new.room;
    return new;
  end $$;
  create trigger append_audit after insert on room_log for each row execute function audit_append();`

const figures: Record<string, unknown> = {}
const processes: RelayProcess[] = []
let pg: TestPostgres | undefined
afterAll(async () => {
  for (const r of processes)
    if (r.child.exitCode === null) {
      r.child.kill('SIGCONT')
      r.child.kill('SIGKILL')
    }
  await pg?.destroy()
  recordFigures('postgres-zombie', figures)
})

describe('[§4] a relay paused past its lease (issue 25 T4)', () => {
  it(`writes nothing under its old fence after a takeover and closes its sockets on waking (${PAUSES} pauses)`, async () => {
    const prng = createPrng(2504)
    pg = await startTestPostgres()
    const url = await pg.createDatabase()
    const relays: Record<'a' | 'b', RelayProcess> = {
      a: await startPgRelay(url, 'a', { seed: true, ...LEASE }),
      b: await startPgRelay(url, 'b', { seed: false, ...LEASE }),
    }
    processes.push(relays.a, relays.b)
    // Written by a: a loads the room first and owns it.
    await seedConversations(relays.a.url, 40)
    psql(url, AUDIT)
    const load = await startWriters(
      [relays.a.url, relays.b.url],
      WRITERS,
      MARKS_PER_SECOND,
      prng,
      'zombie-writer',
    )

    const closeMs: number[] = []
    const closeCodes: number[] = []
    let underOldFence = 0
    let owner: 'a' | 'b' = 'a'
    for (let pause = 0; pause < PAUSES; pause++) {
      await sleep(prng.range(1000, 2000))
      const zombie = relays[owner]
      const other: 'a' | 'b' = owner === 'a' ? 'b' : 'a'
      expect(psql(url, `select owner from room where room = '${ROOM}'`)).toBe(owner)
      zombie.child.kill('SIGSTOP')
      await waitFor(
        () =>
          psql(
            url,
            `select heartbeat < now() - interval '${LEASE.leaseMs} ms' from relays where id = '${owner}'`,
          ) === 't',
        'the paused relay’s lease to lapse',
      )
      // A replica opening the room on the other relay: it takes the room over with a new fence.
      const session = await login(relays[other].url, 'alice@example.com')
      const observer = createSwitchboard({
        url: relays[other].url,
        token: session.token,
        expiresAt: session.expiresAt,
        member: session.member,
        storage: 'memory',
        deviceId: `zombie-observer-${pause}`,
      })
      observer.inbox(ROOM_NUMBER)
      await observer.whenSynced()
      const [takenOwner, fence, lastSeq] = psql(
        url,
        `select owner, fence, last_seq from room where room = '${ROOM}'`,
      ).split('|')
      expect(takenOwner).toBe(other)
      await observer.destroy()

      const wokeAt = Date.now()
      zombie.child.kill('SIGCONT')
      // Each writer's first socket on the zombie to close after it woke.
      await waitFor(
        () => load.writers.every((w) => w.closes.some((c) => c.at >= wokeAt)),
        'the zombie to close every writer’s socket',
      )
      for (const w of load.writers) {
        const first = w.closes.find((c) => c.at >= wokeAt)!
        closeMs.push(first.at - wokeAt)
        closeCodes.push(first.code)
      }
      await load.ackedAgain('every writer acknowledged again')
      // Rows appended after the takeover under an older fence: the zombie's writes.
      underOldFence += Number(
        psql(
          url,
          `select count(*) from append_audit where room = '${ROOM}' and fence < ${fence} and seq > ${lastSeq}`,
        ),
      )
      owner = other
    }
    await load.stop()
    const acked = load.acked()
    for (const w of load.writers) await w.sb.destroy()
    const { lost, doubled } = await readBack(relays[owner].url, acked)
    const appendsAudited = Number(psql(url, `select count(*) from append_audit`))

    Object.assign(figures, {
      writers: WRITERS,
      marksPerSecondPerWriter: MARKS_PER_SECOND,
      pauses: PAUSES,
      leaseMs: LEASE.leaseMs,
      marksAcknowledged: acked.length,
      acknowledgedLost: lost,
      marksStoredTwice: doubled,
      appendsAudited,
      rowsUnderOldFenceAfterTakeover: underOldFence,
      longestCloseAfterWakeMs: Math.max(...closeMs),
      closeAfterWakeMs: closeMs,
      closeCodes: [...new Set(closeCodes)],
    })
    expect(appendsAudited).toBeGreaterThan(0)
    expect(underOldFence).toBe(0)
    expect(acked.length).toBeGreaterThan(PAUSES * WRITERS)
    expect(lost).toBe(0)
    expect(doubled).toBe(0)
    if (SOAK) expect(Math.max(...closeMs)).toBeLessThanOrEqual(1000)
  })
})
