/** @module Report sections and chart for workloads 2 (cold join) and 8 (restart recovery). */
import type { TopLevelSpec } from 'vega-lite'
import type { ColdJoinRow } from './coldjoin.ts'
import type { RestartRow } from './restart.ts'

export interface BigRoomResults {
  coldjoin: ColdJoinRow[]
  restart: {
    rows: RestartRow[]
    initialJoinMs: { cold: number; warm: number; ms: number }[]
  } | null
}

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '—')
const mb = (bytes: number) => `${f(bytes / 1e6, 1)} MB`

export function bigRoomSections(r: BigRoomResults): string[] {
  const lines: string[] = []
  const cj = r.coldjoin
  if (cj.length) {
    const room = cj[0]!
    lines.push(
      `## 2. Cold join of a big inbox (${n(room.conversations)} conversations through core, ${mb(room.roomBytes)} encoded)`,
    )
    lines.push('')
    lines.push(
      'Clients with nothing join at once; synced = the whole sync step 2 received and the server’s step 1 answered. Switchboard loads the room cold from its SQLite store (restarted before each point); the peers hold it in memory (seeded through a socket that stays open); the floor is a bare `ws` server sending one step 2 frame encoded at start (no document, storage or auth: the bytes alone).',
    )
    lines.push('')
    lines.push(
      '| server | clients | all synced ms | median ms | first ms | bytes / client | conversations received | server RSS before → peak MiB |',
    )
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|')
    for (const x of cj)
      lines.push(
        `| ${x.server} | ${x.clients} | ${x.synced < x.clients ? `never: ${x.synced} synced${x.lastSyncedMs ? `, the last at ${n(x.lastSyncedMs)}` : ''}, ${x.clients - x.synced} closed by the server first` : n(x.allSyncedMs)} | ${n(x.medianSyncedMs)} | ${n(x.firstSyncedMs)} | ${n(x.bytesPerClient)} | ${n(x.conversationsSeen)} | ${f(x.rssBeforeMiB)} → ${f(x.peakRssMiB)} |`,
      )
    lines.push('')
    lines.push(
      'How many times faster Switchboard has every client synced (peer time ÷ Switchboard time; target ≥ 10× the best peer at 300 clients):',
    )
    lines.push('')
    lines.push(
      '| clients | vs hocuspocus | vs y-websocket-server | vs best peer | Switchboard ÷ floor (bytes alone) |',
    )
    lines.push('|--:|--:|--:|--:|--:|')
    for (const s of cj.filter((x) => x.server === 'switchboard')) {
      // A peer that never had every client synced is at least as slow as its median client.
      const peer = (name: string) => {
        const p = cj.find((x) => x.server === name && x.clients === s.clients)
        if (!p) return { t: NaN, bound: false }
        return p.synced === p.clients
          ? { t: p.allSyncedMs, bound: false }
          : { t: p.medianSyncedMs, bound: true }
      }
      const times = [peer('hocuspocus'), peer('y-websocket-server')]
      const known = times.filter((t) => Number.isFinite(t.t))
      const best = known.length
        ? known.reduce((a, b) => (b.t < a.t ? b : a))
        : { t: NaN, bound: false }
      const x = (p: { t: number; bound: boolean }) =>
        Number.isFinite(p.t)
          ? `${p.bound ? '≥ ' : ''}${f(p.t / s.allSyncedMs, 1)}×${p.bound ? ' (its median client)' : ''}`
          : '—'
      const floor = cj.find((x) => x.server.startsWith('ws floor') && x.clients === s.clients)
      const overFloor = floor ? `${f(s.allSyncedMs / floor.allSyncedMs, 2)}×` : '—'
      lines.push(`| ${s.clients} | ${x(times[0]!)} | ${x(times[1]!)} | ${x(best)} | ${overFloor} |`)
    }
    lines.push('')
  }
  const rs = r.restart
  if (rs && rs.rows.length) {
    const room = rs.rows[0]!
    lines.push(
      `## 8. Restart recovery (Switchboard; ${n(room.conversations)} conversations, ${mb(room.roomBytes)})`,
    )
    lines.push('')
    lines.push(
      'The relay is stopped under connected clients and started again on the same data directory and port; clients reconnect with y-websocket’s backoff (100 ms, doubling per failed attempt, ≤ 2.5 s). Cold clients hold nothing (each rejoin fetches the room); warm ones join with the room’s state vector. Times are from the signal. Peers are absent: with their defaults (no persistence extension) a restarted peer comes back with an empty room.',
    )
    lines.push('')
    lines.push(
      '| signal | cold | warm | old relay gone ms | new relay healthy ms | all synced ms | cold synced ms | warm synced ms | bytes / cold client | bytes / warm client | attempts | relay CPU ms | relay peak RSS MiB |',
    )
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
    for (const x of rs.rows)
      lines.push(
        `| ${x.signal} | ${x.cold} | ${x.warm} | ${n(x.exitedMs)} | ${n(x.healthyMs)} | **${n(x.allSyncedMs)}** | ${n(x.coldSyncedMs)} | ${n(x.warmSyncedMs)} | ${n(x.coldBytesPerClient)} | ${n(x.warmBytesPerClient)} | ${n(x.reconnectAttempts)} | ${n(x.serverCpuMs)} | ${f(x.peakRssMiB)} |`,
      )
    lines.push('')
    lines.push(
      `Initial join before the restarts: ${rs.initialJoinMs.map((j) => `${j.cold} cold + ${j.warm} warm in ${n(j.ms)} ms`).join('; ')}.`,
    )
    lines.push('')
  }
  return lines
}

/** Cold join: seconds until every client is synced, per server and client count. */
export function coldJoinChart(rows: ColdJoinRow[]): TopLevelSpec | null {
  if (rows.length === 0) return null
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: {
      values: rows.map((x) => ({
        server: x.server,
        clients: x.clients,
        // Never all synced: the last client that did, or (older runs) the median one.
        seconds:
          (x.synced === x.clients ? x.allSyncedMs : (x.lastSyncedMs ?? x.medianSyncedMs)) / 1000,
      })),
    },
    title: {
      text: `cold join of ${n(rows[0]!.conversations)} conversations: seconds until all clients synced`,
      subtitle: rows.some((x) => x.synced < x.clients)
        ? 'a server that never had all synced: its last (or median) synced client'
        : undefined,
    },
    width: 200,
    height: 180,
    mark: 'bar',
    encoding: {
      column: { field: 'clients', type: 'ordinal', title: 'clients joining at once' },
      x: { field: 'server', type: 'nominal', title: null },
      y: { field: 'seconds', type: 'quantitative', title: 's' },
      color: { field: 'server', type: 'nominal', legend: null },
    },
  }
}
