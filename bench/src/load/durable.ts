/**
 * @module Workload 4 load generator (its own process): W writers, each with its own device and
 * Y.Doc, keep a window of unacknowledged core marks in flight on an `ack=1` socket (closed loop)
 * or send them on a schedule (open loop, `rate`); a mark counts once the relay's type-100 ack
 * covers its clock.
 */
import * as Y from 'yjs'
import { createHlc, markConversation, type Author } from '@switchboard/core'
import { createHistogram, percentile, record } from '../stats.ts'
import type { Target } from '../servers.ts'
import { updateFrame } from '../wire.ts'
import { openSocket, send, type Socket } from './client.ts'

const KINDS = ['done', 'open', 'unread', 'read'] as const
/** Marks made ahead per writer in the closed loop: room for 20,000 marks/s in all. */
const CLOSED_LOOP_RATE = 20_000

type Command = {
  cmd: 'run'
  target: Target
  writers: number
  window: number
  durationMs: number
  /** Open loop: marks/s offered in all, spread over the writers (`window` then only caps). */
  rate?: number
}

async function run(target: Target, n: number, window: number, durationMs: number, rate?: number) {
  const hist = createHistogram()
  let acked = 0
  let measuring = false
  let stopped = false
  const states: {
    socket: Socket
    author: Author
    /** The writer's replica (its own marks only) and the marks made on it ahead of time. */
    gen: Y.Doc
    made: { update: Uint8Array; clock: number }[]
    endClock: number[]
    sentAt: number[]
    next: number
    i: number
  }[] = []
  // Made before the clock starts (each writer's own replica, same client id), then sent as
  // acks allow or the schedule says: made on demand, core marks cost the load process more CPU
  // than the relay spends on them, and on 2 cores the run measured the load generator.
  const make = (s: (typeof states)[number]) => {
    let update: Uint8Array | null = null
    const on = (u: Uint8Array) => (update = u)
    s.gen.on('update', on)
    markConversation(s.gen, `c${s.i % 500}`, KINDS[s.i % KINDS.length]!, s.author)
    s.i++
    s.gen.off('update', on)
    s.made.push({ update: update!, clock: Y.getState(s.gen.store, s.gen.clientID) })
  }
  // Closed loop: each writer keeps `window` marks in flight. Open loop (`rate`): each writer
  // sends its share on schedule whatever the acks, so latency is measured at that throughput
  // (not inflated by a window the relay has to drain); `window` only bounds a runaway backlog.
  let started = 0
  const due = () =>
    rate ? Math.floor(((performance.now() - started) / 1000) * (rate / n)) : Infinity
  const pump = (s: (typeof states)[number]) => {
    while (!stopped && s.endClock.length - s.next < window && s.endClock.length < due()) {
      if (s.endClock.length >= s.made.length) make(s)
      const { update, clock } = s.made[s.endClock.length]!
      s.sentAt.push(performance.now())
      s.endClock.push(clock)
      s.socket.ws.send(updateFrame(target.protocol, target.doc, update))
    }
  }
  for (let k = 0; k < n; k++) {
    const deviceId = `bench-durable-${process.pid}-${k}-${Date.now()}`
    const s = {
      socket: null as unknown as Socket,
      author: { memberId: target.memberId, deviceId, clock: createHlc(deviceId) },
      gen: new Y.Doc(),
      made: [] as { update: Uint8Array; clock: number }[],
      endClock: [] as number[],
      sentAt: [] as number[],
      next: 0,
      i: k * 7,
    }
    // The socket keeps no replica of the room: a writer of its own mark keys does not need one,
    // and 20 copies of a room grown by every run filled the load process's heap.
    s.socket = openSocket(target, (msg) => {
      if (msg.type !== 'ack' || msg.client !== s.gen.clientID) return
      const now = performance.now()
      while (s.next < s.endClock.length && s.endClock[s.next]! <= msg.clock) {
        if (measuring) {
          record(hist, now - s.sentAt[s.next]!)
          acked++
        }
        s.next++
      }
      pump(s)
    })
    states.push(s)
  }
  await Promise.all(states.map((s) => s.socket.ready))
  // The warm-up (a fifth) and the measured run, with a margin.
  const perWriter = Math.ceil((((rate ?? CLOSED_LOOP_RATE) / n) * durationMs * 1.35) / 1000)
  for (const s of states) {
    while (s.made.length < perWriter) make(s)
  }
  // Warm up for a fifth of the run, then measure.
  started = performance.now()
  for (const s of states) pump(s)
  const ticker = rate ? setInterval(() => states.forEach(pump), 2) : null
  await new Promise((r) => setTimeout(r, durationMs / 5))
  measuring = true
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, durationMs))
  measuring = false
  stopped = true
  if (ticker) clearInterval(ticker)
  const ms = performance.now() - t0
  const closed = states.filter((s) => s.socket.closeCode !== null).map((s) => s.socket.closeCode)
  for (const s of states) s.socket.ws.terminate()
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
    send({ ok: true, value: await run(m.target, m.writers, m.window, m.durationMs, m.rate) })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
