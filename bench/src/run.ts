/**
 * @module `pnpm bench`: runs the workloads against Switchboard, the peers and the floor, each
 * server in its own process and the load in another, then writes bench/results/latest.{json,md}
 * and SVG charts. BENCH_PROFILE=full runs longer.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startChild } from './child.ts'
import { coldjoin } from './coldjoin.ts'
import { reconnect } from './reconnect.ts'
import { writeReport, type Results } from './report.ts'
import { restart } from './restart.ts'
import { churn } from './churn.ts'
import { runBrowser } from './browser.ts'
import { runBrowserSearch } from './browser-search.ts'
import { runTeammate } from './browser-teammate.ts'
import { startServer } from './servers.ts'
import { webhooks } from './webhooks.ts'
import { webhooksOverRelays } from './webhooks-relays.ts'
import { roomsAcks } from './rooms-acks.ts'
import { idleSockets, idleSocketsLines } from './idle-sockets.ts'
import { baselineRoot, repoRoot, ServerKind } from './target.ts'
import { cpuOf, machine, median, rssOf, untilIdle } from './stats.ts'

const full = process.env.BENCH_PROFILE === 'full'
/** Source addresses for T8's 14,000 client sockets (each has its own ephemeral ports). */
const loopbacks = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`)
const profile = full
  ? {
      name: 'full',
      runs: 5,
      subscribers: [100, 1000],
      rates: [100, 1000, 3000],
      // The sustained targets: ≥ 5,000 marks/s to 100 subscribers, ≥ 1,500 to 1,000.
      sustained: { 100: [5000], 1000: [1500] },
      maxDeliveriesPerSec: Infinity,
      durationMs: 5000,
      drainMs: 5000,
      durable: {
        writers: 20,
        windows: [16, 4],
        durationMs: 5000,
        offered: [5_000, 10_000, 11_000],
      },
      growth: { conversations: 100_000, marks: 1_000_000, devices: 50 },
      // Issue 25 T2: 20 rooms × 50 marks/s, and a closed loop, over two relays.
      roomsAcks: {
        rooms: 20,
        writersPerRoom: 2,
        perRoom: 50,
        window: 4,
        durationMs: 5000,
        runs: 5,
      },
      // Issue 25 T8: 10,000 idle sockets over two relays, then 4,000 proxied.
      idleSockets: { rooms: 20, sockets: 10_000, proxied: 4_000, localAddresses: loopbacks },
      browser: {
        scales: [10_000, 100_000],
        epochScales: [100_000],
        reloads: 5,
        presses: 30,
        bulk: { count: 1_000, runs: 5 },
      },
      search: { conversations: 100_000, downloaded: 2_000, perConversation: 20, rounds: 5 },
      teammate: { conversations: 10_000, presses: 100 },
      coldjoin: { conversations: 100_000, clients: [100, 300], timeoutMs: 900_000 },
      // The room: 1M marks by 50 devices (on 100,000 conversations).
      reconnect: {
        conversations: 100_000,
        marks: 1_000_000,
        devices: 50,
        times: 50,
        settleMs: 100,
      },
      restart: {
        conversations: 100_000,
        mixes: [
          { cold: 300, warm: 0 },
          { cold: 0, warm: 1000 },
          { cold: 300, warm: 1000 },
        ],
        timeoutMs: 120_000,
      },
      churn: {
        sizes: [1_000, 20_000, 50_000],
        marks: [2_000, 300, 200],
        afterEpochMarks: 10_000,
        window: 64,
      },
      // Issue 22: 500 signed provider messages/s for 20 s, each delivered twice.
      webhooks: {
        rate: 500,
        durationMs: 20_000,
        duplicateAfterMs: 50,
        subscribers: 100,
        marksPerSec: 100,
        warmupMs: Number(process.env.BENCH_WEBHOOK_WARMUP_MS ?? 3000),
      },
      // Issue 25 T7: 200 signed messages/s over two relays, each delivered 3×.
      webhooksRelays: {
        rate: 200,
        durationMs: 20_000,
        deliveries: 3,
        duplicateAfterMs: 50,
        warmupMs: 3000,
      },
    }
  : {
      name: 'quick',
      runs: 3,
      subscribers: [100, 1000],
      rates: [100, 1000, 3000],
      sustained: {},
      // From 1,000,000 deliveries/s on, the load generator itself saturates on 2 cores.
      maxDeliveriesPerSec: 300_000,
      durationMs: 1000,
      drainMs: 1500,
      // 5,000 offered runs in full only: the quick profile has to stay under 5 minutes.
      // The closed loop with 16 in flight (its p99 is that backlog) runs in full only: the room
      // these runs grow makes each run longer, and the quick profile has to stay under 5 minutes.
      durable: { writers: 20, windows: [4], durationMs: 2000, offered: [10_000, 11_000] },
      growth: { conversations: 5_000, marks: 20_000, devices: 50 },
      roomsAcks: {
        rooms: 20,
        writersPerRoom: 2,
        perRoom: 50,
        window: 4,
        durationMs: 2000,
        runs: 3,
      },
      idleSockets: { rooms: 20, sockets: 10_000, proxied: 4_000, localAddresses: loopbacks },
      // Both scales, fewer reloads and presses.
      browser: {
        scales: [10_000, 100_000],
        epochScales: [100_000],
        reloads: 3,
        presses: 20,
        bulk: { count: 1_000, runs: 3 },
      },
      search: { conversations: 100_000, downloaded: 1_000, perConversation: 20, rounds: 3 },
      teammate: { conversations: 10_000, presses: 50 },
      // Scaled down to fit the quick profile (full: 100,000 conversations, 100/300 joins,
      // 300 cold + 1,000 warm clients).
      coldjoin: { conversations: 5_000, clients: [30, 100], timeoutMs: 60_000 },
      // 3 % of the history (30,000 marks by 50 devices, ~88,000 Yjs structs: the relay's epoch
      // on load still starts).
      reconnect: { conversations: 5_000, marks: 30_000, devices: 50, times: 10, settleMs: 50 },
      restart: { conversations: 5_000, mixes: [{ cold: 100, warm: 300 }], timeoutMs: 60_000 },
      // Same sizes as full, fewer marks where plain Yjs pays most per mark.
      churn: {
        sizes: [1_000, 20_000, 50_000],
        marks: [500, 100, 60],
        afterEpochMarks: 3_000,
        window: 64,
      },
      // The rate for half its 20 s.
      webhooks: {
        rate: 500,
        durationMs: 10_000,
        duplicateAfterMs: 50,
        subscribers: 100,
        marksPerSec: 100,
        warmupMs: Number(process.env.BENCH_WEBHOOK_WARMUP_MS ?? 3000),
      },
      webhooksRelays: {
        rate: 200,
        durationMs: 10_000,
        deliveries: 3,
        duplicateAfterMs: 50,
        warmupMs: 3000,
      },
    }

// BENCH_SERVERS=switchboard,ws floor narrows a run while working on one server.
const kinds = [
  ServerKind.Switchboard,
  ...(baselineRoot ? [ServerKind.Baseline] : []),
  // BENCH_POSTGRES=1 adds the relay on PostgreSQL (bench/README "Workload 10"): opt-in until the
  // durable workload's time-out with both relays in one run is understood; with it, two relays on
  // one PostgreSQL (T1: the writer on the edge relay, subscribers on both).
  ...(process.env.BENCH_POSTGRES === '1'
    ? [ServerKind.SwitchboardPostgres, ServerKind.SwitchboardTwoRelays]
    : []),
  ...(process.env.BENCH_POSTGRES === '1' && baselineRoot ? [ServerKind.BaselineTwoRelays] : []),
  ServerKind.Hocuspocus,
  ServerKind.YWebsocket,
  ServerKind.Floor,
].filter((k) => !process.env.BENCH_SERVERS || process.env.BENCH_SERVERS.split(',').includes(k))
const log = (...args: unknown[]) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args)

interface FanoutRun {
  sent: number
  achievedRate: number
  delivered: number
  deliveriesPerSec: number
  p50: number
  p99: number
  max: number
  /** The same deliveries timed from the start of the mark's making (the timing before 2026-12-07). */
  p50FromMaking?: number
  p99FromMaking?: number
  closed: number
}

// BENCH_RATES=1500,5000 narrows the fan-out to those marks/s (e.g. the sustained points alone).
const onlyRates = process.env.BENCH_RATES?.split(',').map(Number)

// BENCH_SUBSCRIBERS=100 narrows the fan-out to those subscriber counts.
const onlySubscribers = process.env.BENCH_SUBSCRIBERS?.split(',').map(Number)

function ratesFor(subscribers: number): number[] {
  const all = [
    ...profile.rates,
    ...((profile.sustained as Record<number, number[]>)[subscribers] ?? []),
  ]
  return [...new Set(all)].filter((r) => !onlyRates || onlyRates.includes(r)).sort((a, b) => a - b)
}

/** A server under the fan-out, with its own load process and subscribers connected. */
interface FanoutServer {
  kind: ServerKind
  server: Awaited<ReturnType<typeof startServer>>
  load: Awaited<ReturnType<typeof startChild>>
  connectMs: number
  rssPerConnKiB: number
  failed: boolean
}

async function startFanout(kind: ServerKind, subscribers: number): Promise<FanoutServer> {
  const server = await startServer(kind)
  const load = await startChild('load/fanout.ts').catch(async (err: unknown) => {
    await server.stop()
    throw err
  })
  try {
    await new Promise((r) => setTimeout(r, 300))
    const rss0 = await rssOf(server.pid)
    const { connectMs } = await load.call<{ connectMs: number }>({
      cmd: 'connect',
      target: server.target(),
      subscribers,
    })
    await new Promise((r) => setTimeout(r, 500))
    const rssPerConnKiB = ((await rssOf(server.pid)) - rss0) / subscribers / 1024
    return { kind, server, load, connectMs, rssPerConnKiB, failed: false }
  } catch (err) {
    await load.stop().catch(() => load.kill())
    await server.stop()
    throw err
  }
}

/**
 * Every server is up at once, each with its subscribers connected, and the runs of each point
 * take turns between them (who goes first rotates): a busy minute on the shared machine then
 * falls on every server of the point, not on whichever one ran then.
 */
async function fanout(results: Results) {
  const rows: Results['fanout'] = []
  for (const subscribers of profile.subscribers) {
    if (onlySubscribers && !onlySubscribers.includes(subscribers)) continue
    const up: FanoutServer[] = []
    try {
      for (const kind of kinds) {
        try {
          up.push(await startFanout(kind, subscribers))
        } catch (err) {
          const message = (err as Error).message
          results.errors.push(`${kind}: ${message.split('\n').slice(0, 6).join(' | ')}`)
          log(kind, 'unavailable', message.split('\n')[0])
        }
      }
      for (const rate of ratesFor(subscribers)) {
        if (rate * subscribers > profile.maxDeliveriesPerSec) continue
        const runs = new Map<FanoutServer, FanoutRun[]>(up.map((u) => [u, []]))
        const cpuMs = new Map<FanoutServer, number>(up.map((u) => [u, 0]))
        for (let i = 0; i < profile.runs; i++)
          for (let j = 0; j < up.length; j++) {
            const u = up[(i + j) % up.length]!
            if (u.failed) continue
            try {
              const cpu0 = await cpuOf(u.server.pid)
              const run = await u.load.call<FanoutRun>({
                cmd: 'run',
                rate,
                durationMs: profile.durationMs,
                drainMs: profile.drainMs,
              })
              cpuMs.set(u, cpuMs.get(u)! + (await cpuOf(u.server.pid)) - cpu0)
              runs.get(u)!.push(run)
              // A saturated server still working off its backlog would slow the next one's run.
              if (run.delivered < 1) await untilIdle(u.server.pid, 300, 5000)
            } catch (err) {
              u.failed = true
              const message = (err as Error).message.slice(0, 300)
              results.errors.push(`fanout ${u.kind} ${subscribers}: ${message}`)
              log('fanout', u.kind, subscribers, 'failed', message)
            }
          }
        for (const u of up) {
          const done = runs.get(u)!
          if (done.length === 0) continue
          const m = (f: (r: FanoutRun) => number) => median(done.map(f))
          const row = {
            server: u.kind,
            subscribers,
            rate,
            p50: m((r) => r.p50),
            p99: m((r) => r.p99),
            max: m((r) => r.max),
            delivered: m((r) => r.delivered),
            deliveriesPerSec: m((r) => r.deliveriesPerSec),
            achievedRate: m((r) => r.achievedRate),
            closed: Math.max(...done.map((r) => r.closed)),
            connectMs: u.connectMs,
            rssPerConnKiB: u.rssPerConnKiB,
            rssMiB: (await rssOf(u.server.pid)) / 2 ** 20,
            serverCpuPerMarkMs: cpuMs.get(u)! / done.reduce((a, r) => a + r.sent, 0),
            runs: done,
          }
          rows.push(row)
          log(
            'fanout',
            u.kind,
            subscribers,
            rate,
            `p50 ${row.p50.toFixed(2)} p99 ${row.p99.toFixed(2)} delivered ${row.delivered.toFixed(3)}`,
            `(from the making: p50 ${m((r) => r.p50FromMaking ?? NaN).toFixed(2)} p99 ${m((r) => r.p99FromMaking ?? NaN).toFixed(2)})`,
          )
        }
      }
    } finally {
      for (const u of up) {
        await u.load.stop().catch(() => u.load.kill())
        await u.server.stop()
      }
    }
  }
  // Rows by server, then subscribers and rate, as the report lists them.
  const order = (k: string) => kinds.indexOf(k as ServerKind)
  rows.sort(
    (a, b) => order(a.server) - order(b.server) || a.subscribers - b.subscribers || a.rate - b.rate,
  )
  results.fanout.push(...rows)
}

interface DurableRun {
  ackedPerSec: number
  p50: number
  p99: number
  max: number
  closed?: number
}

async function durable(results: Results) {
  const floor = await startChild('sqlite-floor.ts')
  for (const batch of [1, profile.durable.writers]) {
    const runs: DurableRun[] = []
    for (let i = 0; i < profile.runs; i++)
      runs.push(
        await floor.call<DurableRun>({ cmd: 'run', durationMs: profile.durable.durationMs, batch }),
      )
    results.durable.push({
      server:
        batch === 1 ? 'sqlite floor (commit per mark)' : `sqlite floor (commit per ${batch} marks)`,
      ackedPerSec: median(runs.map((r) => r.ackedPerSec)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      max: median(runs.map((r) => r.max)),
      runs,
    })
  }
  floor.kill()
  // This relay's rows first, then the baseline's (when one is set), then the floors'.
  await durableOn(
    kinds.filter((k) => k.startsWith('switchboard')),
    0,
    results,
  )
  for (const r of results.durable)
    log('durable', r.server, Math.round(r.ackedPerSec), 'marks/s p99', r.p99)
}

/** One durable point: the closed loop at `window` in flight, or the open loop at `rate`. */
interface DurablePoint {
  label: (kind: string) => string
  window: number
  rate?: number
}

/**
 * The closed and open loops against every Switchboard relay of the run (this checkout's, and the
 * baseline's when one is set), their runs taking turns like the fan-out's, so a busy minute on the
 * shared machine falls on each; their rows go in at `at`.
 */
async function durableOn(kindsHere: ServerKind[], at: number, results: Results): Promise<void> {
  const servers: { kind: ServerKind; server: Awaited<ReturnType<typeof startServer>> }[] = []
  for (const kind of kindsHere)
    try {
      servers.push({ kind, server: await startServer(kind) })
    } catch (err) {
      results.errors.push(`durable: ${kind} unavailable: ${(err as Error).message.split('\n')[0]}`)
    }
  const load = await startChild('load/durable.ts')
  const writers = profile.durable.writers
  // A smaller depth too: with writers × window marks in flight, Little's law puts the mean ack
  // at that backlog over the throughput whatever the relay does. The open loop pairs a rate with
  // a latency: offer that rate and read p99 there.
  const points: DurablePoint[] = [
    ...profile.durable.windows.map((window) => ({
      label: (kind: string) => `${kind} (${writers} writers, ${window} in flight each)`,
      window,
    })),
    ...profile.durable.offered.map((rate) => ({
      label: (kind: string) =>
        `${kind}, ${rate.toLocaleString('en')} marks/s offered (${writers} writers, open loop)`,
      window: 1000,
      rate,
    })),
  ]
  const rows = new Map(servers.map((s) => [s.kind, [] as Results['durable']]))
  try {
    for (const point of points) {
      const runs = new Map(servers.map((s) => [s.kind, [] as DurableRun[]]))
      for (let i = 0; i < profile.runs; i++)
        for (let j = 0; j < servers.length; j++) {
          const { kind, server } = servers[(i + j) % servers.length]!
          runs.get(kind)!.push(
            await load.call<DurableRun>({
              cmd: 'run',
              target: server.target({ ack: true }),
              writers,
              window: point.window,
              durationMs: profile.durable.durationMs,
              ...(point.rate ? { rate: point.rate } : {}),
            }),
          )
        }
      for (const [kind, list] of runs)
        rows.get(kind)!.push({
          server: point.label(kind),
          ackedPerSec: median(list.map((r) => r.ackedPerSec)),
          p50: median(list.map((r) => r.p50)),
          p99: median(list.map((r) => r.p99)),
          max: median(list.map((r) => r.max)),
          runs: list,
        })
    }
  } catch (err) {
    results.errors.push(`durable: ${(err as Error).message.slice(0, 300)}`)
  } finally {
    results.durable.splice(at, 0, ...[...rows.values()].flat())
    load.kill()
    for (const { server } of servers) await server.stop()
  }
}

async function growth(results: Results) {
  const child = await startChild('growth.ts', ['--expose-gc'])
  try {
    results.growth = await child.call({ cmd: 'run', ...profile.growth }, 1_800_000)
    log('growth', JSON.stringify(results.growth))
  } catch (err) {
    results.errors.push(`growth: ${(err as Error).message.slice(0, 300)}`)
  } finally {
    child.kill()
  }
}

const only = process.env.BENCH_ONLY?.split(',')
const results: Results = {
  profile: profile.name,
  startedAt: new Date().toISOString(),
  machine: machine(),
  settings: profile,
  fanout: [],
  durable: [],
  reconnect: [],
  growth: null,
  coldjoin: [],
  restart: null,
  churn: null,
  errors: [],
}
const t0 = performance.now()
if (!only || only.includes('fanout')) await fanout(results)
if (!only || only.includes('durable')) await durable(results)
if (!only || only.includes('growth')) await growth(results)
// T2 of issue 25 needs PostgreSQL: with BENCH_POSTGRES=1, or asked for by name.
if ((!only && process.env.BENCH_POSTGRES === '1') || only?.includes('t2')) {
  const r = await roomsAcks(profile.roomsAcks, log)
  results.roomsAcks = r.rows
  results.errors.push(...r.errors)
}
if ((!only && process.env.BENCH_POSTGRES === '1') || only?.includes('t8')) {
  try {
    results.idleSockets = await idleSockets(profile.idleSockets, log)
    for (const line of idleSocketsLines(results.idleSockets))
      if (line.startsWith('|')) log('t8', line)
  } catch (err) {
    results.errors.push(`t8: ${(err as Error).message.slice(0, 300)}`)
  }
}
if (!only || only.includes('reconnect')) {
  // BENCH_RECONNECT_TIMES: more reconnects per relay, for medians that can tell 0.5 ms apart.
  const times = Number(process.env.BENCH_RECONNECT_TIMES) || profile.reconnect.times
  const r = await reconnect({ ...profile.reconnect, times }, log)
  results.reconnect = r.rows
  results.errors.push(...r.errors)
}
if (!only || only.includes('coldjoin')) {
  const r = await coldjoin(profile.coldjoin, log)
  results.coldjoin = r.rows
  results.errors.push(...r.errors)
}
if (!only || only.includes('restart')) {
  const r = await restart(profile.restart, log)
  results.restart = { rows: r.rows, initialJoinMs: r.initialJoinMs }
  results.errors.push(...r.errors)
}
if (!only || only.includes('churn')) {
  const r = await churn(profile.churn, log)
  results.churn = r.result
  results.errors.push(...r.errors)
}
if (!only || only.includes('browser')) {
  const r = await runBrowser(profile.browser, log)
  results.browser = r.rows
  results.errors.push(...r.errors)
}
// Workload 6c, two browsers, runs with the browser workload, or alone.
if (!only || only.includes('browser') || only.includes('teammate')) {
  try {
    results.browserTeammate = await runTeammate(profile.teammate, log)
  } catch (err) {
    results.errors.push(`teammate: ${(err as Error).message.slice(0, 300)}`)
  }
}
// Workload 6b runs with the browser workload (issue 24 asks for one run), or alone.
if (!only || only.includes('browser') || only.includes('search')) {
  try {
    results.browserSearch = await runBrowserSearch(profile.search, log)
  } catch (err) {
    results.errors.push(`search: ${(err as Error).message.slice(0, 300)}`)
  }
}
if (!only || only.includes('webhooks') || only.includes('webhooks-listener')) {
  // BENCH_WEBHOOK_RATE=250 offers another rate of provider messages/s.
  const rate = Number(process.env.BENCH_WEBHOOK_RATE) || profile.webhooks.rate
  const settings = { ...profile.webhooks, rate }
  // The eighth pass: BENCH_WEBHOOK_PORTS=listener runs only the listener's runs, the baseline's
  // too (with BENCH_BASELINE_ROOT), and BENCH_BASELINE_FIRST=1 runs the baseline first.
  const listenerOnly = process.env.BENCH_WEBHOOK_PORTS === 'listener'
  const baselineFirst = process.env.BENCH_BASELINE_FIRST === '1'
  const baseline = async () => {
    if (!baselineRoot) return
    const b = await webhooks(settings, log, ServerKind.Baseline, listenerOnly)
    results.webhooksBaseline = b.result
    results.errors.push(...b.errors)
  }
  if (baselineFirst) await baseline()
  if (!listenerOnly) {
    const r = await webhooks(settings, log)
    results.webhooks = r.result
    results.errors.push(...r.errors)
  }
  // The seventh pass: the same relay and load, the posts to WEBHOOK_PORT (its own thread).
  if (!only || only.includes('webhooks-listener')) {
    const l = await webhooks(settings, log, ServerKind.Switchboard, true)
    results.webhooksListener = l.result
    results.errors.push(...l.errors)
  }
  if (!baselineFirst) await baseline()
}
// T7 (issue 25) with the relays on PostgreSQL: BENCH_POSTGRES=1, or BENCH_ONLY=webhooks-relays.
if (process.env.BENCH_POSTGRES === '1' && (!only || only.includes('webhooks-relays'))) {
  const r = await webhooksOverRelays(profile.webhooksRelays, log)
  results.webhooksRelays = r.result
  results.errors.push(...r.errors)
}
results.elapsedS = (performance.now() - t0) / 1000
const out = join(repoRoot, 'bench', 'results')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'latest.json'), JSON.stringify(results, null, 2))
await writeReport(results, out)
log(`done in ${results.elapsedS.toFixed(0)} s → bench/results/latest.md`)
