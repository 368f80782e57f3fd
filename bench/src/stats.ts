/** @module Latency histograms (0.05 ms buckets up to 30 s), medians and machine facts. */
import os from 'node:os'

const BUCKET_MS = 0.05
const BUCKETS = 600_000

export interface Histogram {
  counts: Uint32Array
  n: number
  max: number
}

export function createHistogram(): Histogram {
  return { counts: new Uint32Array(BUCKETS), n: 0, max: 0 }
}

export function record(h: Histogram, ms: number): void {
  const i = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)))
  h.counts[i]!++
  h.n++
  if (ms > h.max) h.max = ms
}

export function percentile(h: Histogram, p: number): number {
  if (h.n === 0) return NaN
  const rank = Math.ceil(h.n * p)
  let seen = 0
  for (let i = 0; i < BUCKETS; i++) {
    seen += h.counts[i]!
    if (seen >= rank) return (i + 1) * BUCKET_MS
  }
  return h.max
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

export function machine() {
  const cpus = os.cpus()
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

/** Resident set size of another process, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1]
  return kb ? Number(kb) * 1024 : NaN
}

/** User+system CPU time of another process in ms, from /proc (Linux, 100 ticks/s). */
export async function cpuOf(pid: number, thread?: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  // One thread's own (its id; a process's main thread has the process's): /proc/<pid>/task/<tid>.
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`
  const stat = await readFile(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** CPU ms of each thread of `pid` by thread id (Node names them all `node`). */
export async function threadsCpuOf(pid: number): Promise<Map<number, number>> {
  const { readdir } = await import('node:fs/promises')
  const out = new Map<number, number>()
  for (const tid of await readdir(`/proc/${pid}/task`))
    out.set(Number(tid), await cpuOf(pid, Number(tid)).catch(() => 0))
  return out
}

/**
 * Waits until `pid` used no CPU for `quietMs` (at most `maxMs`), so a CPU delta measured next is
 * the measured request's and not deferred work of the run before it: the relay compacts a busy
 * room once it has been quiet for a second (`COMPACT_QUIET_MS`), a peer runs its timers.
 */
export async function untilIdle(pid: number, quietMs = 1200, maxMs = 6000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    const before = await cpuOf(pid)
    await new Promise((r) => setTimeout(r, quietMs))
    if ((await cpuOf(pid)) === before) return
  }
}
