/**
 * @module T8 of issue 25 (`BENCH_ONLY=t8`): memory per idle socket over two relays on one
 * PostgreSQL, each owning half of 20 inbox rooms. Sockets are the demo's five members, each
 * signed in at the relay it connects to, joined to real rooms as an up-to-date client joins
 * (load/idle-sockets.ts). Each relay runs as operators run it (`main()`), under
 * servers/relay-measured.ts so its memory can be read after garbage collection. Phases, each
 * measured on both relays: `sockets` at their room's owner; then `proxied` at the other relay
 * (half with relay 0 the edge, then half with relay 1), so each relay's side of a proxied socket
 * is seen apart.
 */
import { startChild } from './child.ts'
import { DEMO_MEMBERS, startRoomRelays, type RoomRelays } from './room-relays.ts'
import { rssOf } from './stats.ts'
import type { Target } from './target.ts'

export interface IdleSocketsProfile {
  rooms: number
  /** Idle sockets at their room's owner, over both relays. */
  sockets: number
  /** Sockets proxied to the other relay, added on top (half each way). */
  proxied: number
  /** Loopback source addresses the clients bind to in turn. */
  localAddresses: string[]
}

/** One relay's memory: JS heap and external memory after GC, and RSS, in bytes. */
export interface Memory {
  heap: number
  external: number
  rss: number
}

export interface IdleSocketsResult {
  settings: IdleSocketsProfile
  /**
   * Both relays' memory: rooms joined once at each; then `sockets` at their owners (`atOwner[i]`
   * at relay i); then `proxied / 2` with relay 0 the edge; then as many with relay 1 the edge.
   */
  samples: Memory[][]
  atOwner: number[]
  openMs: number[]
  status: { open: number; closeCodes: Record<string, number> }
}

type Sample = Memory[]

/** BENCH_HEAP_SNAPSHOTS=<dir>: each sample also writes both relays' heap snapshots there. */
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOTS
let samples = 0

async function sample(relays: RoomRelays): Promise<Sample> {
  // Settled: the relays' last joins are answered and their timers have run.
  await new Promise((r) => setTimeout(r, 1000))
  const k = samples++
  const memory = await Promise.all(
    relays.relays.map(async (r) => {
      const m = await r.memory!()
      return { heap: m.heapUsed, external: m.external, rss: await rssOf(r.pid) }
    }),
  )
  if (snapshotDir)
    for (const [i, r] of relays.relays.entries())
      await r.snapshot!(`${snapshotDir}/s${k}-relay${i}.heapsnapshot`)
  return memory
}

export async function idleSockets(
  p: IdleSocketsProfile,
  log: (...args: unknown[]) => void,
): Promise<IdleSocketsResult> {
  // Writing a snapshot pauses a relay for seconds: past its lease it would stop serving (drop
  // every socket, as a relay paused past its lease must), so the lease is long then.
  const relays = await startRoomRelays(
    2,
    p.rooms,
    { measured: true },
    snapshotDir ? { LEASE_MS: '600000', HEARTBEAT_MS: '1000' } : {},
  )
  const load = await startChild('load/idle-sockets.ts').catch(async (err: unknown) => {
    await relays.stop()
    throw err
  })
  try {
    const open = (targets: Target[]) =>
      load.call<{ opened: number; ms: number }>(
        { cmd: 'open', targets, localAddresses: p.localAddresses },
        600_000,
      )
    const member = (i: number) => Math.floor(i / p.rooms) % DEMO_MEMBERS.length
    // Every room joined once at each relay: rooms loaded, links up, state vectors known.
    await open(relays.rooms.flatMap((_, r) => [relays.target(r, 0), relays.target(r, 1)]))
    const s0 = await sample(relays)
    const atOwner = await open(
      Array.from({ length: p.sockets }, (_, i) =>
        relays.target(i % p.rooms, relays.owners[i % p.rooms]!, { member: member(i) }),
      ),
    )
    const s1 = await sample(relays)
    log('t8', `${p.sockets} sockets at their owners in ${Math.round(atOwner.ms)} ms`)
    // Proxied through `edge`: rooms the other relay owns.
    const proxiedVia = (edge: number) => {
      const theirs = relays.rooms.map((_, r) => r).filter((r) => relays.owners[r] !== edge)
      return Array.from({ length: p.proxied / 2 }, (_, i) =>
        relays.target(theirs[i % theirs.length]!, edge, { member: member(i) }),
      )
    }
    const via0 = await open(proxiedVia(0))
    const s2 = await sample(relays)
    const via1 = await open(proxiedVia(1))
    const s3 = await sample(relays)
    const status = await load.call<IdleSocketsResult['status']>({ cmd: 'status' })
    return {
      settings: p,
      samples: [s0, s1, s2, s3],
      atOwner: [0, 1].map(
        (at) =>
          Array.from({ length: p.sockets }, (_, i) => i).filter(
            (i) => relays.owners[i % p.rooms] === at,
          ).length,
      ),
      openMs: [atOwner.ms, via0.ms, via1.ms],
      status,
    }
  } finally {
    await load.stop()
    await relays.stop()
  }
}

const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`
const used = (m: Memory) => m.heap + m.external

/** The result as lines for the log (and results/latest.md). */
export function idleSocketsLines(r: IdleSocketsResult): string[] {
  const [s0, s1, s2, s3] = r.samples as [Sample, Sample, Sample, Sample]
  const grew = (a: Sample, b: Sample, i: number, f: (m: Memory) => number) => f(b[i]!) - f(a[i]!)
  const half = r.settings.proxied / 2
  const idle = (f: (m: Memory) => number) =>
    [0, 1].map((i) => kib(grew(s0, s1, i, f) / r.atOwner[i]!)).join(' · ') +
    ` · **${kib((grew(s0, s1, 0, f) + grew(s0, s1, 1, f)) / r.settings.sockets)}**`
  // Edge `e`: its side, the owner's side, both.
  const proxied = (a: Sample, b: Sample, e: number, f: (m: Memory) => number) =>
    `${kib(grew(a, b, e, f) / half)} · ${kib(grew(a, b, 1 - e, f) / half)} · **${kib((grew(a, b, 0, f) + grew(a, b, 1, f)) / half)}**`
  return [
    `## 10b. Idle sockets over two relays (issue 25 T8): ${r.settings.sockets.toLocaleString('en')} at their owners, then ${r.settings.proxied.toLocaleString('en')} proxied`,
    '',
    '| per socket | heap + external after GC | RSS |',
    '|---|--:|--:|',
    `| idle at its room's owner: relay 0 · relay 1 · **all** | ${idle(used)} | ${idle((m) => m.rss)} |`,
    `| proxied, relay 0 the edge: edge · owner · **both** | ${proxied(s1, s2, 0, used)} | ${proxied(s1, s2, 0, (m) => m.rss)} |`,
    `| proxied, relay 1 the edge: edge · owner · **both** | ${proxied(s2, s3, 1, used)} | ${proxied(s2, s3, 1, (m) => m.rss)} |`,
    '',
    `Opened in ${r.openMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; at the end ${r.status.open} open, closed: ${JSON.stringify(r.status.closeCodes)}.`,
    '',
  ]
}
