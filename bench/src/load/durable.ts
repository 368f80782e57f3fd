/**
 * @module Workload 4 load generator (its own process): W writers, each with its own device and
 * Y.Doc, keep a window of unacknowledged core marks in flight on an `ack=1` socket; a mark
 * counts once the relay's type-100 ack covers its clock.
 */
import { createHistogram, percentile, record } from '../stats.ts'
import type { Target } from '../servers.ts'
import { openWriter, send, type Writer } from './client.ts'

type Command = { cmd: 'run'; target: Target; writers: number; window: number; durationMs: number }

async function run(target: Target, n: number, window: number, durationMs: number) {
  const hist = createHistogram()
  let acked = 0
  let measuring = false
  let stopped = false
  const states: { w: Writer; endClock: number[]; sentAt: number[]; next: number; i: number }[] = []
  const pump = (s: (typeof states)[number]) => {
    while (!stopped && s.endClock.length - s.next < window) {
      s.sentAt.push(performance.now())
      s.endClock.push(s.w.mark(s.i++))
    }
  }
  for (let k = 0; k < n; k++) {
    const s = {
      w: null as unknown as Writer,
      endClock: [] as number[],
      sentAt: [] as number[],
      next: 0,
      i: k * 7,
    }
    s.w = openWriter(
      target,
      `bench-durable-${process.pid}-${k}`,
      (msg) => {
        if (msg.type !== 'ack' || msg.client !== s.w.doc.clientID) return
        const now = performance.now()
        while (s.next < s.endClock.length && s.endClock[s.next]! <= msg.clock) {
          if (measuring) {
            record(hist, now - s.sentAt[s.next]!)
            acked++
          }
          s.next++
        }
        pump(s)
      },
      500,
      false,
    )
    states.push(s)
  }
  await Promise.all(states.map((s) => s.w.socket.ready))
  // Warm up for a fifth of the run, then measure.
  for (const s of states) pump(s)
  await new Promise((r) => setTimeout(r, durationMs / 5))
  measuring = true
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, durationMs))
  measuring = false
  stopped = true
  const ms = performance.now() - t0
  const closed = states
    .filter((s) => s.w.socket.closeCode !== null)
    .map((s) => s.w.socket.closeCode)
  for (const s of states) s.w.socket.ws.terminate()
  return {
    ackedPerSec: (acked / ms) * 1000,
    p50: percentile(hist, 0.5),
    p99: percentile(hist, 0.99),
    max: hist.max,
    closed: closed.length,
    closeCodes: [...new Set(closed)],
  }
}

process.on('message', async (m: Command) => {
  try {
    send({ ok: true, value: await run(m.target, m.writers, m.window, m.durationMs) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
