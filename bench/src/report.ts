/** @module Writes the markdown table and the SVG charts (vega-lite compiled, rendered headless by vega). */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { bigRoomSections, coldJoinChart, type BigRoomResults } from './report-bigroom.ts'
import { browserSection, searchSection } from './browser-report.ts'
import { teammateSection, type TeammateRow } from './browser-teammate.ts'
import type { BrowserSearchRow } from './browser-search.ts'
import type { BrowserRow } from './browser.ts'
import { churnChart, churnSection } from './churn-report.ts'
import type { ChurnResults } from './churn.ts'
import type { ReconnectRow } from './reconnect.ts'
import type { machine } from './stats.ts'
import type { WebhooksResult } from './webhooks.ts'
import type { RoomsAcksRow } from './rooms-acks.ts'
import { idleSocketsLines, type IdleSocketsResult } from './idle-sockets.ts'
import { webhooksSection } from './webhooks-report.ts'
import type { RelaysWebhooksResult } from './webhooks-relays.ts'
import { webhooksRelaysSection } from './webhooks-relays-report.ts'

export interface FanoutRow {
  server: string
  subscribers: number
  rate: number
  p50: number
  p99: number
  max: number
  delivered: number
  deliveriesPerSec: number
  achievedRate: number
  closed: number
  connectMs: number
  rssPerConnKiB: number
  rssMiB: number
  serverCpuPerMarkMs: number
  runs: unknown[]
}

export interface DurableRow {
  server: string
  ackedPerSec: number
  p50: number
  p99: number
  max: number
  runs: unknown[]
}

export interface GrowthSide {
  bytes: number
  loadMs: number
  viewMs: number
  heapMiB: number
  inbox: number
  unread: number
}

export interface Results extends BigRoomResults {
  profile: string
  startedAt: string
  machine: ReturnType<typeof machine>
  settings: unknown
  fanout: FanoutRow[]
  durable: DurableRow[]
  /** Issue 25 T2: acks over 20 rooms, one SQLite relay beside two on PostgreSQL. */
  roomsAcks?: RoomsAcksRow[]
  /** Issue 25 T8: memory per idle and per proxied socket over two relays. */
  idleSockets?: IdleSocketsResult
  reconnect: ReconnectRow[]
  growth: {
    conversations: number
    marks: number
    devices: number
    buildMs: number
    historyEntries: number
    liveMarks: number
    grown: GrowthSide
    fresh: GrowthSide
    /** Absent in results from before the epoch row. */
    epoch?: GrowthSide
  } | null
  churn?: ChurnResults | null
  browser?: BrowserRow[]
  /** Workload 6b, search across the replica. */
  browserSearch?: BrowserSearchRow | null
  browserTeammate?: TeammateRow | null
  webhooks?: WebhooksResult | null
  /** Workload 9 on `BENCH_BASELINE_ROOT`'s relay, in the same run. */
  webhooksBaseline?: WebhooksResult | null
  /** Workload 9 with the posts to `WEBHOOK_PORT` (BENCH_ONLY=webhooks-listener). */
  webhooksListener?: WebhooksResult | null
  /** T7, provider webhooks over two relays on PostgreSQL (BENCH_POSTGRES=1). */
  webhooksRelays?: RelaysWebhooksResult | null
  errors: string[]
  elapsedS?: number
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
    ? `${(a / b).toFixed(2)}×`
    : '—'

async function svg(spec: TopLevelSpec, file: string) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  writeFileSync(file, await view.toSVG())
  view.finalize()
}

export async function writeReport(r: Results, dir: string): Promise<void> {
  const m = r.machine
  const lines: string[] = []
  lines.push(`# Switchboard bench — ${r.profile} profile`)
  lines.push('')
  lines.push(
    `${r.startedAt} · ${m.cores} cores (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · load avg at start ${m.load.join(' ')} · ${f(r.elapsedS ?? NaN, 0)} s. ` +
      'Medians of the runs; shared machine, so compare ratios within this run.',
  )
  lines.push('')
  lines.push('## 1. Fan-out (one writer of core marks, N subscribers in one inbox room)')
  lines.push('')
  lines.push(
    '| server | subs | marks/s | p50 ms | p99 ms | max ms | delivered | deliveries/s | server CPU ms/mark | RSS/conn KiB |',
  )
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const x of r.fanout)
    lines.push(
      `| ${x.server} | ${x.subscribers} | ${x.rate} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.max)} | ${f(x.delivered * 100, 1)}% | ${f(x.deliveriesPerSec, 0)} | ${f(x.serverCpuPerMarkMs, 3)} | ${f(x.rssPerConnKiB)} |`,
    )
  lines.push('')
  const find = (server: string, s: number, rate: number) =>
    r.fanout.find((x) => x.server === server && x.subscribers === s && x.rate === rate)
  const points = r.fanout.filter((x) => x.server === 'switchboard')
  if (points.length) {
    lines.push(
      'Switchboard p50 / p99 as a ratio of each other server (below 1× = Switchboard faster):',
    )
    lines.push('')
    lines.push('| subs | marks/s | vs ws floor | vs hocuspocus | vs y-websocket-server |')
    lines.push('|--:|--:|--:|--:|--:|')
    for (const x of points) {
      const cell = (peer: string) => {
        const p = find(peer, x.subscribers, x.rate)
        return `${ratio(x.p50, p?.p50)} / ${ratio(x.p99, p?.p99)}`
      }
      lines.push(
        `| ${x.subscribers} | ${x.rate} | ${cell('ws floor')} | ${cell('hocuspocus')} | ${cell('y-websocket-server')} |`,
      )
    }
    lines.push('')
  }
  lines.push('## 4. Durable throughput (acknowledged-as-stored marks)')
  lines.push('')
  lines.push('| what | acked marks/s | p50 ms | p99 ms | max ms |')
  lines.push('|---|--:|--:|--:|--:|')
  for (const x of r.durable)
    lines.push(
      `| ${x.server} | ${f(x.ackedPerSec, 0)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.max)} |`,
    )
  lines.push('')
  lines.push(
    'Floor latencies are per commit (a batch for the group-commit row); Switchboard latencies are send → type-100 ack.',
  )
  lines.push('')
  if (r.roomsAcks?.length) {
    lines.push('## 4b. Acks over 20 rooms, one relay and two (issue 25 T2)')
    lines.push('')
    lines.push(
      '| setup | point | acked marks/s | p50 ms | p99 ms | max ms | relays / load / machine CPU ms/s |',
    )
    lines.push('|---|---|--:|--:|--:|--:|--:|')
    for (const x of r.roomsAcks)
      lines.push(
        `| ${x.setup} | ${x.point} | ${f(x.ackedPerSec, 0)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.max)} | ${x.cpu.relays.map((c) => f(c, 0)).join(' + ')} / ${f(x.cpu.load, 0)} / ${f(x.cpu.machine, 0)} |`,
      )
    lines.push('')
  }
  if (r.idleSockets) lines.push(...idleSocketsLines(r.idleSockets))
  lines.push(...reconnectSection(r.reconnect))
  const g = r.growth
  if (g) {
    lines.push(
      `## 5. Document growth through core (${g.conversations.toLocaleString('en')} conversations, ${g.marks.toLocaleString('en')} marks, ${g.devices} devices)`,
    )
    lines.push('')
    lines.push('| document | encoded KiB | load ms | inbox view + unread ms | heap MiB |')
    lines.push('|---|--:|--:|--:|--:|')
    lines.push(
      `| grown (history of ${g.historyEntries.toLocaleString('en')} audit entries, overwritten marks) | ${f(g.grown.bytes / 1024, 0)} | ${f(g.grown.loadMs, 0)} | ${f(g.grown.viewMs, 0)} | ${f(g.grown.heapMiB)} |`,
    )
    lines.push(
      `| same live state built fresh (${g.liveMarks.toLocaleString('en')} live marks, no history) | ${f(g.fresh.bytes / 1024, 0)} | ${f(g.fresh.loadMs, 0)} | ${f(g.fresh.viewMs, 0)} | ${f(g.fresh.heapMiB)} |`,
    )
    lines.push(
      `| ratio grown / fresh | ${ratio(g.grown.bytes, g.fresh.bytes)} | ${ratio(g.grown.loadMs, g.fresh.loadMs)} | ${ratio(g.grown.viewMs, g.fresh.viewMs)} | ${ratio(g.grown.heapMiB, g.fresh.heapMiB)} |`,
    )
    const e = g.epoch
    if (e) {
      lines.push(
        `| the grown room after an epoch (history archived; target ≤ 1.25× fresh, load + view ≤ 500 ms at 100k) | ${f(e.bytes / 1024, 0)} | ${f(e.loadMs, 0)} | ${f(e.viewMs, 0)} | ${f(e.heapMiB)} |`,
      )
      lines.push(
        `| ratio epoch / fresh | ${ratio(e.bytes, g.fresh.bytes)} | ${ratio(e.loadMs, g.fresh.loadMs)} | ${ratio(e.viewMs, g.fresh.viewMs)} | ${ratio(e.heapMiB, g.fresh.heapMiB)} |`,
      )
    }
    lines.push('')
  }
  lines.push(...bigRoomSections(r))
  if (r.churn) lines.push(...churnSection(r.churn))
  if (r.browser?.length) lines.push(...browserSection(r.browser))
  if (r.browserSearch) lines.push(...searchSection(r.browserSearch))
  if (r.browserTeammate) lines.push(...teammateSection(r.browserTeammate))
  if (r.webhooks) lines.push(...webhooksSection(r.webhooks))
  if (r.webhooksListener) lines.push(...webhooksSection(r.webhooksListener))
  if (r.webhooksBaseline) lines.push(...webhooksSection(r.webhooksBaseline))
  if (r.webhooksRelays) lines.push(...webhooksRelaysSection(r.webhooksRelays))
  if (r.errors.length) {
    lines.push('## Not measured / errors')
    lines.push('')
    for (const e of r.errors) lines.push(`- ${e.replace(/\|/g, '\\|')}`)
    lines.push('')
  }
  lines.push(
    'Charts: ![p99](fanout-p99.svg) ![delivered](fanout-delivered.svg) ![memory](fanout-rss.svg) ![durable](durable.svg)' +
      (r.coldjoin.length ? ' ![cold join](coldjoin.svg)' : '') +
      (r.churn ? ' ![writer churn](churn.svg)' : ''),
  )
  lines.push('')
  writeFileSync(join(dir, 'latest.md'), lines.join('\n'))

  const values = r.fanout.map((x) => ({
    ...x,
    runs: undefined,
    subs: `${x.subscribers} subscribers`,
  }))
  const line = (field: string, title: string, scale: 'log' | 'linear'): TopLevelSpec => ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    title,
    width: 260,
    height: 200,
    mark: { type: 'line', point: true },
    encoding: {
      column: { field: 'subs', type: 'nominal', title: null },
      x: {
        field: 'rate',
        type: 'quantitative',
        scale: { type: 'log' },
        title: 'marks/s (one writer)',
      },
      y: { field, type: 'quantitative', scale: { type: scale }, title },
      color: { field: 'server', type: 'nominal' },
    },
  })
  await svg(line('p99', 'p99 latency, ms (log)', 'log'), join(dir, 'fanout-p99.svg'))
  await svg(line('delivered', 'fraction delivered', 'linear'), join(dir, 'fanout-delivered.svg'))
  await svg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: values.filter((x) => x.rate === r.fanout[0]?.rate) },
      title: 'server RSS per subscriber connection, KiB',
      width: 260,
      height: 160,
      mark: 'bar',
      encoding: {
        column: { field: 'subs', type: 'nominal', title: null },
        x: { field: 'server', type: 'nominal', title: null },
        y: { field: 'rssPerConnKiB', type: 'quantitative', title: 'KiB' },
        color: { field: 'server', type: 'nominal', legend: null },
      },
    },
    join(dir, 'fanout-rss.svg'),
  )
  await svg(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: r.durable.map((x) => ({ ...x, runs: undefined })) },
      title: 'durable marks/s (acked as stored)',
      width: 360,
      height: 120,
      mark: 'bar',
      encoding: {
        y: { field: 'server', type: 'nominal', title: null },
        x: { field: 'ackedPerSec', type: 'quantitative', title: 'marks/s' },
      },
    },
    join(dir, 'durable.svg'),
  )
  const coldJoin = coldJoinChart(r.coldjoin)
  if (coldJoin) await svg(coldJoin, join(dir, 'coldjoin.svg'))
  if (r.churn) await churnChart(r.churn, dir)
}

function reconnectSection(rows: ReconnectRow[]): string[] {
  const x0 = rows[0]
  if (!x0) return []
  const n = (v: number) => v.toLocaleString('en')
  const lines = [
    `## 3. Warm reconnect to a long history (${n(x0.conversations)} conversations, then ${n(x0.marks)} marks by ${x0.devices} devices)`,
    '',
    'A replica joins once, then reconnects up to date, one reconnect after another, while a holder socket keeps the room loaded (a teammate\u2019s open app). Bytes: what the server sent the replica; server CPU: every thread of the server process, from /proc (ns), from before the socket opens until 30 ms after it closed; idle: the same span right after with nothing asked. Medians of the reconnects. Switchboard loads the room from its store as users run it: a room past 50,000 Yjs structs or 2,000 writer ids begins a new epoch as it loads (live state only, history archived; column *epoch*); it also runs with that off (`EPOCH_LOAD_ITEMS=0 EPOCH_LOAD_WRITERS=0`): a busy room between epochs, every overwritten mark still in it. The peers hold every update they were given. Target: \u2264 1 KB and \u2264 5 ms of server time.',
    '',
    '| server | room as built KiB | replica holds KiB | structs | epoch | cold join bytes | cold join ms | reconnects | warm reconnect bytes | until step 2 ms | server CPU ms p50 / p90 | idle CPU ms |',
    '|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const x of rows)
    lines.push(
      `| ${x.server} | ${f(x.roomBytes / 1024)} | ${f(x.docBytes / 1024)} | ${n(x.structs)} | ${x.epoch ? 'yes' : 'no'} | ${n(x.coldBytes)} | ${f(x.coldMs)} | ${x.reconnects} | ${n(x.warmBytes)} | ${f(x.syncedMs, 2)} | ${f(x.serverCpuMs, 2)} / ${f(x.serverCpuP90Ms, 2)} | ${f(x.idleCpuMs, 2)} |`,
    )
  const sb = rows.find((x) => x.server === 'switchboard')
  const peers = rows.filter((x) => !x.server.startsWith('switchboard'))
  if (sb && peers.length) {
    lines.push('')
    lines.push(
      'Each peer as a multiple of Switchboard (above 1× = Switchboard sends less, spends less):',
    )
    lines.push('')
    lines.push('| peer | warm reconnect bytes | server CPU p50 | until step 2 |')
    lines.push('|---|--:|--:|--:|')
    const x = (a: number, b: number) => `${f(a / b, 1)}×`
    for (const p of peers)
      lines.push(
        `| ${p.server} | ${x(p.warmBytes, sb.warmBytes)} | ${x(p.serverCpuMs, sb.serverCpuMs)} | ${x(p.syncedMs, sb.syncedMs)} |`,
      )
  }
  lines.push('')
  return lines
}
