/**
 * @module Workload 1 load generator (its own process): one writer makes real core marks at a fixed
 * rate; N subscribers record the latency from send to receipt of every mark.
 */
import { createHistogram, percentile, record } from '../stats.ts'
import { viaRelay, type Target } from '../target.ts'
import { clockIn, openWriter, send, type Writer } from './client.ts'
import { openSubscriber, type Subscriber } from './subscriber.ts'

type Command =
  | { cmd: 'connect'; target: Target; subscribers: number }
  | { cmd: 'run'; rate: number; durationMs: number; drainMs: number }
  | { cmd: 'close' }

let writer: Writer | null = null
let subs: { socket: Subscriber; next: number }[] = []
// Per mark: the writer's clock after it, when its frame was handed to the socket, and when the
// making of it began (the load process's own Yjs work in front of the send; reported beside).
const endClock: number[] = []
const sentAt: number[] = []
const madeAt: number[] = []
let runStart = 0
let hist = createHistogram()
let histMade = createHistogram()
let delivered = 0

let lastFrameAt = 0

function onUpdate(sub: { next: number }, update: Uint8Array): void {
  lastFrameAt = performance.now()
  if (!writer) return
  const reached = clockIn(update, writer.doc.clientID)
  const now = performance.now()
  while (sub.next < endClock.length && endClock[sub.next]! <= reached) {
    if (sub.next >= runStart) {
      record(hist, now - sentAt[sub.next]!)
      record(histMade, now - madeAt[sub.next]!)
      delivered++
    }
    sub.next++
  }
}

async function connect(target: Target, n: number) {
  const t0 = performance.now()
  // With two relays the writer is on the edge relay and the subscribers alternate (T1).
  writer = openWriter(viaRelay(target, 1), `bench-writer-${process.pid}`)
  await writer.socket.ready
  subs = []
  for (let i = 0; i < n; i += 50) {
    const batch: Promise<void>[] = []
    for (let j = i; j < Math.min(n, i + 50); j++) {
      const sub = { socket: null as unknown as Subscriber, next: 0 }
      sub.socket = openSubscriber(viaRelay(target, j), (update) => onUpdate(sub, update))
      subs.push(sub)
      batch.push(sub.socket.ready)
    }
    await Promise.all(batch)
  }
  // Every subscriber starts after the marks already in the room.
  for (const s of subs) s.next = endClock.length
  return { connectMs: performance.now() - t0 }
}

async function run(rate: number, durationMs: number, drainMs: number) {
  const w = writer!
  hist = createHistogram()
  histMade = createHistogram()
  delivered = 0
  runStart = endClock.length
  let sent = 0
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0
      const due = Math.min(
        Math.floor((elapsed * rate) / 1000),
        Math.floor((durationMs * rate) / 1000),
      )
      while (sent < due) {
        const at = performance.now()
        const clock = w.mark(endClock.length)
        endClock.push(clock)
        madeAt.push(at)
        sentAt.push(w.sentAt)
        sent++
      }
      if (elapsed >= durationMs) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  const sendMs = performance.now() - t0
  const expected = sent * subs.length
  const drainEnd = performance.now() + drainMs
  while (delivered < expected && performance.now() < drainEnd)
    await new Promise((r) => setTimeout(r, 20))
  const totalMs = performance.now() - t0
  // Let the backlog of a saturated run drain so it does not bleed into the next one.
  const quietUntil = performance.now() + 15_000
  while (performance.now() - lastFrameAt < 250 && performance.now() < quietUntil)
    await new Promise((r) => setTimeout(r, 50))
  const closed = subs.filter((s) => s.socket.closeCode !== null).length
  return {
    sent,
    achievedRate: (sent / sendMs) * 1000,
    delivered: expected ? delivered / expected : 0,
    deliveriesPerSec: (delivered / totalMs) * 1000,
    p50: percentile(hist, 0.5),
    p99: percentile(hist, 0.99),
    max: hist.max,
    p50FromMaking: percentile(histMade, 0.5),
    p99FromMaking: percentile(histMade, 0.99),
    closed,
  }
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'connect') send({ ok: true, value: await connect(m.target, m.subscribers) })
    else if (m.cmd === 'run') send({ ok: true, value: await run(m.rate, m.durationMs, m.drainMs) })
    else {
      for (const s of subs) s.socket.terminate()
      writer?.socket.ws.terminate()
      send({ ok: true, value: null })
      process.exit(0)
    }
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
