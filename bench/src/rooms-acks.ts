/**
 * @module T2 of issue 25 (`BENCH_ONLY=t2`): acks over many rooms. Twenty inbox rooms, two writers
 * each (load/durable.ts, one socket per writer), on one SQLite relay and on two relays sharing a
 * PostgreSQL on this machine (each owning half the rooms): writers at their room's owner, or split
 * (one of each room's writers on the other relay, proxied over the relay link). Open loop at 50
 * marks/s per room, and a closed loop (a window of marks in flight per writer). The runs of a
 * point take turns between the setups, as the durable workload's do.
 */
import { readFileSync } from 'node:fs'
import { startChild } from './child.ts'
import { DEMO_MEMBERS, startRoomRelays, type RoomRelays } from './room-relays.ts'
import { cpuOf, median } from './stats.ts'
import { baselineRoot, type Target } from './target.ts'

export interface RoomsAcksProfile {
  rooms: number
  writersPerRoom: number
  /** Marks/s offered per room in the open loop. */
  perRoom: number
  /** Marks in flight per writer in the closed loop. */
  window: number
  durationMs: number
  runs: number
}

export interface RoomsAcksRun {
  ackedPerSec: number
  sentPerSec: number
  p50: number
  p99: number
  max: number
  unacked: number
  closed: number
  loadLagMaxMs: number
  /** CPU ms per second of the run: each relay, the load process, and the whole machine. */
  cpu: { relays: number[]; load: number; machine: number }
  /** Per relay and then the load process: ms per s of the call their main thread waited for a core. */
  waitedForCpu?: number[]
  /** Per relay, during the call: compactions, and batches stored (its /metrics counters). */
  compactions?: number[]
  batchesStored?: number[]
  /** Per relay, during the call: its batches' mean ms to durable, and their shares over 2, 5, 10 ms. */
  store?: { meanMs: number; over2: number; over5: number; over10: number }[]
}

export interface RoomsAcksRow {
  setup: string
  point: string
  ackedPerSec: number
  p50: number
  p99: number
  max: number
  unacked: number
  cpu: RoomsAcksRun['cpu']
  runs: RoomsAcksRun[]
}

interface Setup {
  name: string
  /** Its key in BENCH_T2_SETUPS. */
  key: string
  relays: RoomRelays
  /** Writer `k`'s target. */
  targets(ack: boolean): Target[]
}

/** A relay's counters from its /metrics (loopback needs no token); NaN where unreadable. */
async function countersOf(base: string, names: string[]): Promise<number[]> {
  try {
    const lines = (await (await fetch(`${base}/metrics`)).text()).split('\n')
    return names.map((n) =>
      Number(lines.find((l) => l.startsWith(`${n} `))?.slice(n.length + 1) ?? NaN),
    )
  } catch {
    return names.map(() => NaN)
  }
}
const COUNTERS = [
  'switchboard_compactions_total',
  'switchboard_updates_stored_total',
  // The relay's batch → durable (queued behind a commit in flight included).
  'switchboard_store_latency_ms_sum',
  'switchboard_store_latency_ms_count',
  'switchboard_store_latency_ms_bucket{le="2"}',
  'switchboard_store_latency_ms_bucket{le="5"}',
  'switchboard_store_latency_ms_bucket{le="10"}',
]

/**
 * Ms a process's main thread (a relay's event loop) spent runnable but waiting for a core, from
 * /proc/<pid>/schedstat (its second field, ns); NaN where unreadable.
 */
async function runQueueWaitMs(pid: number): Promise<number> {
  try {
    const { readFile } = await import('node:fs/promises')
    return Number((await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ')[1]) / 1e6
  } catch {
    return NaN
  }
}

/** Busy CPU ms of the whole machine (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1)
  const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number)
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10
}

/**
 * BENCH_T2_SETUPS=owner,base-owner narrows the setups (keys: sqlite, owner, split, and with
 * BENCH_BASELINE_ROOT base-owner, base-split: the same two relays from that checkout).
 */
const onlySetups = process.env.BENCH_T2_SETUPS?.split(',')
const wanted = (key: string) => !onlySetups || onlySetups.includes(key)

function setupsOf(
  sqlite: RoomRelays | null,
  pair: RoomRelays | null,
  basePair: RoomRelays | null,
  p: RoomsAcksProfile,
): Setup[] {
  const writers = p.rooms * p.writersPerRoom
  // Writer k writes room k % rooms; its round (k / rooms) picks its relay in the split.
  const each =
    (relays: RoomRelays, at: (room: number, round: number) => number) => (ack: boolean) =>
      Array.from({ length: writers }, (_, k) => {
        const room = k % p.rooms
        return relays.target(room, at(room, Math.floor(k / p.rooms)), {
          ack,
          member: k % DEMO_MEMBERS.length,
        })
      })
  const setups: Setup[] = []
  if (sqlite)
    setups.push({
      name: 'SQLite, one relay',
      key: 'sqlite',
      relays: sqlite,
      targets: each(sqlite, () => 0),
    })
  for (const [two, key, suffix] of [
    [pair, '', ''],
    [basePair, 'base-', ' (baseline)'],
  ] as const) {
    if (!two) continue
    setups.push({
      name: `PostgreSQL, two relays, writers at the owner${suffix}`,
      key: `${key}owner`,
      relays: two,
      targets: each(two, (room) => two.owners[room]!),
    })
    setups.push({
      name: `PostgreSQL, two relays, writers split (half proxied)${suffix}`,
      key: `${key}split`,
      relays: two,
      targets: each(two, (room, round) => (two.owners[room]! + round) % 2),
    })
  }
  return setups.filter((s) => wanted(s.key))
}

export async function roomsAcks(
  p: RoomsAcksProfile,
  log: (...args: unknown[]) => void,
): Promise<{ rows: RoomsAcksRow[]; errors: string[] }> {
  const errors: string[] = []
  const start = async (relays: 1 | 2, root?: string) => {
    try {
      return await startRoomRelays(relays, p.rooms, {}, {}, root)
    } catch (err) {
      errors.push(`t2: ${relays} relay(s) unavailable: ${(err as Error).message.split('\n')[0]}`)
      return null
    }
  }
  const sqlite = wanted('sqlite') ? await start(1) : null
  const pair = wanted('owner') || wanted('split') ? await start(2) : null
  const basePair =
    baselineRoot && (wanted('base-owner') || wanted('base-split'))
      ? await start(2, baselineRoot)
      : null
  log(
    't2',
    'relays up',
    sqlite ? 'SQLite' : '',
    pair ? 'PostgreSQL pair' : '',
    basePair ? 'baseline PostgreSQL pair' : '',
  )
  const setups = setupsOf(sqlite, pair, basePair, p)
  // --expose-gc: the load process collects its garbage before each run's clock starts (below).
  const load = await startChild('load/durable.ts', ['--expose-gc'])
  const writers = p.rooms * p.writersPerRoom
  const points = [
    {
      label: `${p.rooms} rooms × ${p.perRoom} marks/s (open loop, ${writers} writers)`,
      window: 1000,
      rate: p.rooms * p.perRoom,
    },
    {
      label: `closed loop (${writers} writers, ${p.window} in flight each)`,
      window: p.window,
    },
  ]
  const rows: RoomsAcksRow[] = []
  try {
    for (const point of points) {
      const runs = new Map<Setup, RoomsAcksRun[]>(setups.map((s) => [s, []]))
      for (let i = 0; i < p.runs; i++)
        for (let j = 0; j < setups.length; j++) {
          const s = setups[(i + j) % setups.length]!
          const pids = s.relays.relays.map((r) => r.pid)
          const cpu0 = await Promise.all(pids.map((pid) => cpuOf(pid)))
          const load0 = await cpuOf(load.pid)
          const machine0 = machineBusyMs()
          const waited0 = await Promise.all([...pids, load.pid].map(runQueueWaitMs))
          const counters0 = await Promise.all(
            s.relays.relays.map((r) => countersOf(r.base, COUNTERS)),
          )
          const t0 = performance.now()
          try {
            const run = await load.call<Omit<RoomsAcksRun, 'cpu'>>(
              {
                cmd: 'run',
                targets: s.targets(true),
                writers,
                window: point.window,
                durationMs: p.durationMs,
                ...(point.rate ? { rate: point.rate } : {}),
              },
              60_000 + p.durationMs * 3,
            )
            // Per second of the whole call (warm-up, window and drain): a share, not an absolute.
            const secs = (performance.now() - t0) / 1000
            const cpu1 = await Promise.all(pids.map((pid) => cpuOf(pid)))
            const counters1 = await Promise.all(
              s.relays.relays.map((r) => countersOf(r.base, COUNTERS)),
            )
            const delta = (c: number) => counters1.map((x, i) => x[c]! - counters0[i]![c]!)
            const count = delta(3)
            const waited1 = await Promise.all([...pids, load.pid].map(runQueueWaitMs))
            runs.get(s)!.push({
              waitedForCpu: waited1.map((w, i) => (w - waited0[i]!) / secs),
              compactions: delta(0),
              batchesStored: delta(1),
              store: count.map((n, i) => ({
                meanMs: delta(2)[i]! / n,
                over2: 1 - delta(4)[i]! / n,
                over5: 1 - delta(5)[i]! / n,
                over10: 1 - delta(6)[i]! / n,
              })),
              ...run,
              cpu: {
                relays: cpu1.map((c, x) => (c - cpu0[x]!) / secs),
                load: ((await cpuOf(load.pid)) - load0) / secs,
                machine: (machineBusyMs() - machine0) / secs,
              },
            })
          } catch (err) {
            // What the relays said about it (a socket closed with 4500 logs its storage error).
            const said = s.relays.relays
              .map((r) => r.output().trim().split('\n').slice(-2).join(' / ').slice(-400))
              .join(' | ')
            errors.push(
              `t2 ${s.name} ${point.label}: ${(err as Error).message.slice(0, 300)} — relays: ${said}`,
            )
          }
        }
      for (const [s, list] of runs) {
        if (list.length === 0) continue
        const m = (f: (r: RoomsAcksRun) => number) => median(list.map(f))
        const row: RoomsAcksRow = {
          setup: s.name,
          point: point.label,
          ackedPerSec: m((r) => r.ackedPerSec),
          p50: m((r) => r.p50),
          p99: m((r) => r.p99),
          max: m((r) => r.max),
          unacked: Math.max(...list.map((r) => r.unacked)),
          cpu: {
            relays: list[0]!.cpu.relays.map((_, x) => m((r) => r.cpu.relays[x]!)),
            load: m((r) => r.cpu.load),
            machine: m((r) => r.cpu.machine),
          },
          runs: list,
        }
        rows.push(row)
        log(
          't2',
          s.name,
          point.label,
          `acked ${Math.round(row.ackedPerSec)}/s p50 ${row.p50.toFixed(2)} p99 ${row.p99.toFixed(2)}`,
          `cpu ms/s relays ${row.cpu.relays.map((c) => Math.round(c)).join('+')} load ${Math.round(row.cpu.load)} machine ${Math.round(row.cpu.machine)}`,
          `runs p50/p99 ${list.map((r) => `${r.p50.toFixed(1)}/${r.p99.toFixed(1)}`).join(' ')}`,
          `compactions ${list.map((r) => r.compactions?.join('+')).join(' ')}`,
          `batches ${list.map((r) => r.batchesStored?.join('+')).join(' ')}`,
          `store mean ms ${list.map((r) => r.store?.map((x) => x.meanMs.toFixed(2)).join('+')).join(' ')}`,
          `store >2/>5/>10 ms % ${list.map((r) => r.store?.map((x) => `${(100 * x.over2).toFixed(1)}/${(100 * x.over5).toFixed(1)}/${(100 * x.over10).toFixed(2)}`).join('+')).join(' ')}`,
          `load lag max ${list.map((r) => r.loadLagMaxMs.toFixed(1)).join(' ')}`,
          `waited for a core ms/s (relays, load) ${list.map((r) => r.waitedForCpu?.map((w) => w.toFixed(0)).join('+')).join(' ')}`,
        )
      }
    }
  } finally {
    load.kill()
    await sqlite?.stop()
    await pair?.stop()
    await basePair?.stop()
  }
  return { rows, errors }
}
