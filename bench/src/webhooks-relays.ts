/**
 * @module T7 (issue 25), provider webhooks over two relays: the two relays of T1 on one
 * PostgreSQL (servers.ts), sharing `PUBLIC_URL` and `CREDENTIALS_KEY` as a deployment behind one
 * address does, with a Twilio, a Telnyx and a Quo number connected; the load process of workload 9
 * posts signed provider messages to both relays in turn, each message delivered `deliveries` times
 * (the retries to the other relay, then back). Watchers (a member's socket per inbox room on each
 * relay, the first one loading the room at the owner) note when each activity appears. Measures
 * send → 2xx by relay, first send → visible at each watcher, and reads every inbox back to count
 * activities per provider message id (exactly one each).
 */
import { randomBytes } from 'node:crypto'
import { postgresBinDir } from '@switchboard/relay/testing'
import { startChild, type Child } from './child.ts'
import type { WebhooksRun } from './load/webhooks.ts'
import { startServer } from './servers.ts'
import { cpuOf, createHistogram, percentile, record } from './stats.ts'
import { ServerKind, type RunningServer, type Target } from './target.ts'
import { activityLogOf, connectNumbers, readBack, type WebhooksResult } from './webhooks.ts'

export interface RelaysWebhooksSettings {
  /** Provider messages per second, each delivered `deliveries` times. */
  rate: number
  durationMs: number
  deliveries: number
  /** Between one delivery of a message and the next. */
  duplicateAfterMs: number
  /** Posting as the run does, unmeasured, before it; 0: none. */
  warmupMs: number
}

export interface Visibility {
  /** `owner` (the socket at the relay that loaded the room) or `edge` (through the relay link). */
  watcher: string
  seen: number
  /** Messages of the run whose activity this watcher never saw (within the settle time). */
  notSeen: number
  p50: number
  p99: number
  max: number
}

export interface RelaysWebhooksResult {
  settings: RelaysWebhooksSettings
  webhooks: Omit<WebhooksRun, 'activityIds' | 'sentAt'>
  visible: Visibility[]
  readBack: WebhooksResult['readBack']
  /** PostgreSQL's deadlocks and rolled-back transactions over the run (`pg_stat_database`). */
  database?: { deadlocks: number; rollbacks: number }
  /** Each relay's room-log batches over the run (`/metrics`), owner then edge. */
  store?: StoreFigures[]
  /**
   * CPU over the run, ms per second: the owner relay, the edge relay, the load, the watchers, every
   * `postgres` process; and the machine's busy share of its cores.
   */
  cpuMsPerSec: {
    owner: number
    edge: number
    load: number
    watchers: number
    postgres?: number
    machineBusy?: number
  }
}

/** A relay's store latency histogram (`/metrics`: batch → durable, ms), cumulative. */
interface StoreLatency {
  le: number[]
  cumulative: number[]
  count: number
  sum: number
}

async function storeLatency(base: string): Promise<StoreLatency> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const le: number[] = []
  const cumulative: number[] = []
  for (const m of text.matchAll(/^switchboard_store_latency_ms_bucket\{le="([\d.]+)"\} (\d+)$/gm)) {
    le.push(Number(m[1]))
    cumulative.push(Number(m[2]))
  }
  const one = (name: string) =>
    Number(
      new RegExp(`^switchboard_store_latency_ms_${name} ([\\d.]+)$`, 'm').exec(text)?.[1] ?? NaN,
    )
  return { le, cumulative, count: one('count'), sum: one('sum') }
}

/** Over the run: the batches made durable, their mean, and the buckets their p50 and p99 fall in. */
export interface StoreFigures {
  batches: number
  meanMs: number
  /** The upper bounds of the buckets holding p50 and p99 (Infinity: above the last). */
  p50AtMostMs: number
  p99AtMostMs: number
}

function storeFigures(a: StoreLatency, b: StoreLatency): StoreFigures {
  const batches = b.count - a.count
  const at = (p: number) => {
    const i = b.cumulative.findIndex((c, j) => c - a.cumulative[j]! >= p * batches)
    return i < 0 ? Infinity : b.le[i]!
  }
  return { batches, meanMs: (b.sum - a.sum) / batches, p50AtMostMs: at(0.5), p99AtMostMs: at(0.99) }
}

/** CPU of every `postgres` process on the machine, ms (in a quiet window: this run's cluster). */
async function postgresCpuMs(): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises')
  let ms = 0
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    if (!stat.includes('(postgres)')) continue
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ms += (Number(fields[11]) + Number(fields[12])) * 10
  }
  return ms
}

/** The machine's busy share of its cores since `/proc/stat` read `before` (0–1). */
async function machineBusy(before?: number[]): Promise<{ ticks: number[]; busy: number }> {
  const { readFile } = await import('node:fs/promises')
  const ticks = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .split(/\s+/)
    .slice(1, 9)
    .map(Number)
  if (!before) return { ticks, busy: NaN }
  const d = ticks.map((t, i) => t - before[i]!)
  const idle = d[3]! + d[4]!
  return { ticks, busy: 1 - idle / d.reduce((a, b) => a + b, 0) }
}

/** The database's deadlocks and rolled-back transactions so far (`pg_stat_database`, via psql). */
async function databaseStats(url: string): Promise<{ deadlocks: number; rollbacks: number }> {
  const { execFile } = await import('node:child_process')
  const { join } = await import('node:path')
  const sql =
    'select deadlocks, xact_rollback from pg_stat_database where datname = current_database()'
  const out = await new Promise<string>((resolve, reject) =>
    execFile(join(postgresBinDir(), 'psql'), [url, '-Atc', sql], (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  )
  const [deadlocks, rollbacks] = out.trim().split('|').map(Number)
  return { deadlocks: deadlocks!, rollbacks: rollbacks! }
}

/** How long after the run the watchers may take to see the last activities. */
const SETTLE_MS = 10_000

/** The inbox room of `phoneNumberId` at `url` (a room URL of `target`'s). */
const roomTarget = (target: Target, url: string, phoneNumberId: string): Target => {
  const doc = `inbox:${phoneNumberId}`
  return {
    ...target,
    url: url.replace(encodeURIComponent(target.doc), encodeURIComponent(doc)),
    doc,
  }
}

/** Until `base` knows every number (a 403 to an unsigned post, not 404): the directory's notice. */
async function untilKnown(base: string, numbers: { webhookUrl: string }[]): Promise<void> {
  const deadline = Date.now() + 30_000
  for (const n of numbers) {
    const url = base + new URL(n.webhookUrl).pathname
    for (;;) {
      const res = await fetch(url, { method: 'POST', body: '{}' })
      await res.arrayBuffer()
      if (res.status !== 404) break
      if (Date.now() > deadline) throw new Error(`${base} does not know ${n.webhookUrl}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

export async function webhooksOverRelays(
  settings: RelaysWebhooksSettings,
  log: (...args: unknown[]) => void,
): Promise<{ result: RelaysWebhooksResult | null; errors: string[] }> {
  const credentialsKey = randomBytes(32).toString('base64')
  // Every relay behind one address: the first relay's (Twilio signs the URL it posts to).
  let publicUrl: string | undefined
  const label = 'webhooks over 2 relays'
  let server: RunningServer
  try {
    server = await startServer(ServerKind.SwitchboardTwoRelays, (base) => ({
      PUBLIC_URL: (publicUrl ??= base),
      CREDENTIALS_KEY: credentialsKey,
    }))
  } catch (err) {
    return { result: null, errors: [`${label}: ${(err as Error).message.slice(0, 300)}`] }
  }
  const children: Child[] = []
  try {
    const peer = server.peer!
    const hooks = await startChild('load/webhooks.ts')
    children.push(hooks)
    const watchers = await startChild('load/inbox-watch.ts')
    children.push(watchers)
    const { telnyxPublicKey } = await hooks.call<{ telnyxPublicKey: string }>({ cmd: 'keys' })
    const numbers = await connectNumbers(server, telnyxPublicKey)
    await untilKnown(peer.base, numbers)
    const target = server.target()
    // The owner's socket first: it loads each inbox room there, which then owns it.
    await watchers.call({
      cmd: 'watch',
      targets: numbers.flatMap((n) => [
        { label: 'owner', target: roomTarget(target, target.url, n.id) },
        { label: 'edge', target: roomTarget(target, target.peerUrl!, n.id) },
      ]),
    })
    const spread = { bases: [server.base!, peer.base], deliveries: settings.deliveries }
    const common = {
      numbers,
      rate: settings.rate,
      durationMs: settings.durationMs,
      duplicateAfterMs: settings.duplicateAfterMs,
      spread,
    }
    if (settings.warmupMs > 0) {
      const refused = await hooks.call<number>(
        { cmd: 'warmup', ...common, durationMs: settings.warmupMs },
        600_000,
      )
      log(label, `warm-up: ${refused} posts refused`)
    }
    await hooks.call({ cmd: 'prepare', ...common }, 600_000)
    const pids = [server.pid, peer.pid, hooks.pid, watchers.pid]
    const bases = [server.base!, peer.base]
    const store0 = await Promise.all(bases.map(storeLatency))
    const cpu0 = await Promise.all(pids.map((pid) => cpuOf(pid)))
    const pg0 = await postgresCpuMs()
    const db0 = await databaseStats(server.database!)
    const machine0 = await machineBusy()
    const t0 = performance.now()
    const run = await hooks.call<WebhooksRun>({ cmd: 'run', ...common }, 600_000)
    const elapsed = performance.now() - t0
    const { busy } = await machineBusy(machine0.ticks)
    const postgres = (((await postgresCpuMs()) - pg0) / elapsed) * 1000
    const db1 = await databaseStats(server.database!)
    const database = {
      deadlocks: db1.deadlocks - db0.deadlocks,
      rollbacks: db1.rollbacks - db0.rollbacks,
    }
    const store1 = await Promise.all(bases.map(storeLatency))
    const store = store1.map((b, i) => storeFigures(store0[i]!, b))
    const cpu = (await Promise.all(pids.map((pid) => cpuOf(pid)))).map(
      (c, i) => ((c - cpu0[i]!) / elapsed) * 1000,
    )
    const sentAt = run.sentAt!
    const ids = Object.keys(sentAt)
    type Seen = { seen: Record<string, Record<string, number>>; closed: number }
    const deadline = Date.now() + SETTLE_MS
    const everySeen = (s: Seen) => Object.values(s.seen).every((at) => ids.every((id) => id in at))
    let seen = await watchers.call<Seen>({ cmd: 'seen' })
    while (!everySeen(seen) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
      seen = await watchers.call<Seen>({ cmd: 'seen' })
    }
    const visible: Visibility[] = Object.entries(seen.seen).map(([watcher, at]) => {
      const h = createHistogram()
      for (const id of ids) if (id in at) record(h, at[id]! - sentAt[id]!)
      return {
        watcher,
        seen: h.n,
        notSeen: ids.length - h.n,
        p50: percentile(h, 0.5),
        p99: percentile(h, 0.99),
        max: h.max,
      }
    })
    log(
      label,
      `${run.ok}/${run.posts} 2xx, p50 ${run.p50} p99 ${run.p99}`,
      `by relay ${JSON.stringify(run.byRelay)}`,
      JSON.stringify(run.refused),
      `visible ${JSON.stringify(visible)}`,
      `watcher sockets closed: ${seen.closed}`,
      `store ${JSON.stringify(store)}`,
      `database ${JSON.stringify(database)}`,
      `CPU owner ${cpu[0]!.toFixed(0)} edge ${cpu[1]!.toFixed(0)} load ${cpu[2]!.toFixed(0)} watchers ${cpu[3]!.toFixed(0)} postgres ${postgres.toFixed(0)} ms/s, machine ${(busy * 100).toFixed(0)} % busy`,
    )
    const rows: WebhooksResult['readBack'] = []
    for (const n of numbers) {
      const r = readBack(run.activityIds[n.provider] ?? [], await activityLogOf(target, n.id))
      rows.push({ provider: n.provider, ...r })
      log(label, 'read back', n.provider, JSON.stringify(r))
    }
    const { activityIds: _ids, sentAt: _sent, ...webhooks } = run
    return {
      result: {
        settings,
        webhooks,
        visible,
        readBack: rows,
        store,
        database,
        cpuMsPerSec: {
          owner: cpu[0]!,
          edge: cpu[1]!,
          load: cpu[2]!,
          watchers: cpu[3]!,
          postgres,
          machineBusy: busy,
        },
      },
      errors: [],
    }
  } catch (err) {
    return { result: null, errors: [`${label}: ${(err as Error).message.slice(0, 300)}`] }
  } finally {
    for (const c of children) await c.stop().catch(() => c.kill())
    await server.stop()
  }
}
