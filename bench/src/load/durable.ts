/**
 * @module Workload 4 load generator (its own process): W writers, each with its own device and
 * Y.Doc, keep a window of unacknowledged core marks in flight on an `ack=1` socket (closed loop)
 * or send them on a schedule (open loop, `rate`); a mark counts once the relay's type-100 ack
 * covers its clock. Measured: every mark sent in the window, send → its ack (waited for after the
 * window); acked/s: acks that arrived in the window.
 */
import { readdirSync } from 'node:fs'
import { setPriority } from 'node:os'
import * as Y from 'yjs'
import { createHlc, markConversation, type Author } from '@switchboard/core'
import { createHistogram, percentile, record } from '../stats.ts'
import { viaRelay, type Target } from '../target.ts'
import { updateFrame } from '../wire.ts'
import { openSocket, send, type Socket } from './client.ts'

const KINDS = ['done', 'open', 'unread', 'read'] as const
/** Marks made ahead per writer in the closed loop: room for 20,000 marks/s in all. */
const CLOSED_LOOP_RATE = 20_000

type Command = {
  cmd: 'run'
  /** The room, when `targets` is not given (odd writers through its second relay, if any). */
  target?: Target
  writers: number
  window: number
  durationMs: number
  /** Open loop: marks/s offered in all, spread over the writers (`window` then only caps). */
  rate?: number
  /** Also return a per-100-ms timeline (sent, acked, load-process lag) of the window. */
  trace?: boolean
  /** Writer `k`'s own room and relay (T2: many rooms); `writers` is then their number. */
  targets?: Target[]
}

/** A writer device: kept across the runs of one target, as a team keeps its devices. */
type Device = {
  author: Author
  /** The writer's replica (its own marks only) and the marks made on it ahead, not yet sent. */
  gen: Y.Doc
  made: { update: Uint8Array; clock: number }[]
  i: number
}

type State = Device & {
  target: Target
  socket: Socket
  endClock: number[]
  sentAt: number[]
  next: number
}

/**
 * Each target's devices, kept across its runs. Fresh devices each run made the relay place every device's first
 * history entry by walking the whole history array (see priming below), longer as the earlier
 * runs grew the room, and the garbage of those walks paused it again in the window.
 */
const devicesOf = new Map<string, Device[]>()

/** How long each writer's first mark of a run may take to be acked before the run fails. */
const PRIME_MS = 30_000
/** How long after the window the marks sent in it may take to be acked before counting as lost. */
const DRAIN_MS = 10_000

async function run(
  target: Target | undefined,
  n: number,
  window: number,
  durationMs: number,
  rate?: number,
  trace = false,
  targets?: Target[],
) {
  const targetOf = (k: number) => targets?.[k] ?? viaRelay(target!, k)
  const hist = createHistogram()
  // Marks sent inside the measured window are the measured ones: each counts with its own
  // send → ack time, also when the ack comes after the window (marks sent in the warm-up and
  // acked in the window used to count with their warm-up backlog, and marks sent late in the
  // window and acked after it not at all).
  let t0 = Infinity
  let t1 = Infinity
  let measuredSent = 0
  let measuredAcked = 0
  /** Acks of any mark that arrived inside the window: the throughput. */
  let ackedInWindow = 0
  let stopped = false
  let onDrained: (() => void) | null = null
  /** The longest time in the window with marks in flight and no ack: a relay stall. */
  let ackGapMax = 0
  let lastAck = -Infinity
  const states: State[] = []
  // Load-process stalls: a late ticker sends late (send time is taken at the send), so a
  // stalled generator would flatter the relay; reported so a run can be judged.
  let lagMax = 0
  let lastTick = performance.now()
  const timeline: { sent: number; acked: number; lag: number }[] = []
  const slot = () => {
    const i = Math.floor((performance.now() - (Number.isFinite(t0) ? t0 : 0)) / 100)
    while (timeline.length <= i) timeline.push({ sent: 0, acked: 0, lag: 0 })
    return timeline[Math.max(0, i)]!
  }
  const lagTimer = setInterval(() => {
    const now = performance.now()
    const lag = now - lastTick - 5
    lastTick = now
    if (!Number.isFinite(t0) || now > t1) return
    lagMax = Math.max(lagMax, lag)
    if (trace) slot().lag = Math.max(slot().lag, lag)
  }, 5)
  // Made before the clock starts (each writer's own replica, same client id), then sent as
  // acks allow or the schedule says: made on demand, core marks cost the load process more CPU
  // than the relay spends on them, and on 2 cores the run measured the load generator.
  const make = (s: State) => {
    let update: Uint8Array | null = null
    const on = (u: Uint8Array) => (update = u)
    s.gen.on('update', on)
    markConversation(
      s.gen,
      `${s.target.conversationPrefix ?? 'c'}${s.i % 500}`,
      KINDS[s.i % KINDS.length]!,
      s.author,
    )
    s.i++
    s.gen.off('update', on)
    s.made.push({ update: update!, clock: Y.getState(s.gen.store, s.gen.clientID) })
  }
  const sendNext = (s: State) => {
    if (s.endClock.length >= s.made.length) make(s)
    const { update, clock } = s.made[s.endClock.length]!
    const now = performance.now()
    s.sentAt.push(now)
    s.endClock.push(clock)
    if (now >= t0 && now < t1) measuredSent++
    if (trace && now >= t0) slot().sent++
    s.socket.ws.send(updateFrame(s.target.protocol, s.target.doc, update))
  }
  // Closed loop: each writer keeps `window` marks in flight. Open loop (`rate`): each writer
  // sends its share on schedule whatever the acks, so latency is measured at that throughput
  // (not inflated by a window the relay has to drain); `window` only bounds a runaway backlog.
  let started = Infinity
  const due = () =>
    rate ? Math.floor(((performance.now() - started) / 1000) * (rate / n)) : Infinity
  const pump = (s: State) => {
    // The primed first mark (below) is not one the schedule offers.
    while (!stopped && s.endClock.length - s.next < window && s.endClock.length - 1 < due())
      sendNext(s)
  }
  const key = targets ? targets.map((t) => t.url).join(' ') : `${target!.url} ${n}`
  // Kept per target: runs that take turns between servers (or T2's setups) keep their devices.
  let devices = devicesOf.get(key)
  if (!devices) devicesOf.set(key, (devices = []))
  for (let k = 0; k < n; k++) {
    let d = devices[k]
    if (!d) {
      const deviceId = `bench-durable-${process.pid}-${k}-${Date.now()}`
      d = {
        author: { memberId: targetOf(k).memberId, deviceId, clock: createHlc(deviceId) },
        gen: new Y.Doc(),
        made: [],
        i: k * 7,
      }
      devices.push(d)
    }
    const s: State = Object.assign(d, {
      target: targetOf(k),
      socket: null as unknown as Socket,
      endClock: [],
      sentAt: [],
      next: 0,
    })
    // The socket keeps no replica of the room: a writer of its own mark keys does not need one,
    // and 20 copies of a room grown by every run filled the load process's heap.
    s.socket = openSocket(s.target, (msg) => {
      if (msg.type !== 'ack' || msg.client !== s.gen.clientID) return
      const now = performance.now()
      if (now >= t0 && now < t1) ackGapMax = Math.max(ackGapMax, now - Math.max(lastAck, t0))
      lastAck = now
      while (s.next < s.endClock.length && s.endClock[s.next]! <= msg.clock) {
        const at = s.sentAt[s.next]!
        if (at >= t0 && at < t1) {
          record(hist, now - at)
          measuredAcked++
        }
        if (now >= t0 && now < t1) ackedInWindow++
        if (trace && now >= t0) slot().acked++
        s.next++
      }
      if (stopped && measuredAcked === measuredSent) onDrained?.()
      pump(s)
    })
    states.push(s)
  }
  await Promise.all(states.map((s) => s.socket.ready))
  // The warm-up (a fifth) and the measured run, with a margin.
  const perWriter = Math.ceil((((rate ?? CLOSED_LOOP_RATE) / n) * durationMs * 1.35) / 1000) + 1
  for (const s of states) {
    while (s.made.length < perWriter) make(s)
  }
  // Each writer's first mark of the run goes out and is acked before the clock starts. A new
  // device's replica holds only its own marks, so its first mark appends to the room's history
  // array with no left neighbour, and Yjs walks the whole array to place it (bench/README.md,
  // workload 4). A real client appends after the tail it synced; later marks
  // of a bench writer append after its own previous entry, which costs what a synced append does.
  stopped = true
  for (const s of states) sendNext(s)
  await new Promise<void>((resolve, reject) => {
    // A first mark never acked (its socket closed, the relay stuck) fails the run, naming whom.
    const timer = setTimeout(() => {
      const waiting = states.filter((s) => s.next < s.endClock.length)
      reject(
        new Error(
          `${waiting.length} writers' first marks not acked in ${PRIME_MS} ms: ` +
            waiting
              .slice(0, 5)
              .map(
                (s) =>
                  `${s.target.doc} (socket ${s.socket.ws.readyState}, close ${s.socket.closeCode})`,
              )
              .join(', '),
        ),
      )
    }, PRIME_MS)
    const check = () => {
      if (!states.every((s) => s.next === s.endClock.length)) return
      for (const s of states) s.socket.ws.off('message', check)
      clearTimeout(timer)
      resolve()
    }
    for (const s of states) s.socket.ws.on('message', check)
  }).catch((err: unknown) => {
    for (const s of states) s.socket.ws.terminate()
    devicesOf.delete(key)
    throw err
  })
  // The closed loop makes ~50,000 marks ahead: collected now (when the process may collect on
  // demand, T2), a full collection of them does not stall the load process inside the window,
  // where every ack it meanwhile left unread would count the stall as the relay's.
  ;(globalThis as { gc?: () => void }).gc?.()
  stopped = false
  lastTick = performance.now()
  started = performance.now()
  for (const s of states) pump(s)
  const ticker = rate ? setInterval(() => states.forEach(pump), 2) : null
  await new Promise((r) => setTimeout(r, durationMs / 5))
  t0 = performance.now()
  t1 = t0 + durationMs
  await new Promise((r) => setTimeout(r, durationMs))
  stopped = true
  if (ticker) clearInterval(ticker)
  // Wait for the acks of every mark sent in the window; what is still unacked after DRAIN_MS
  // counts with the time it has waited so far (a lower bound), never dropped.
  if (measuredAcked < measuredSent)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_MS)
      onDrained = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  clearInterval(lagTimer)
  const end = performance.now()
  let unacked = 0
  for (const s of states)
    for (let j = s.next; j < s.endClock.length; j++) {
      const at = s.sentAt[j]!
      if (at >= t0 && at < t1) {
        record(hist, end - at)
        unacked++
      }
    }
  const closed = states.filter((s) => s.socket.closeCode !== null).map((s) => s.socket.closeCode)
  for (const s of states) {
    s.socket.ws.terminate()
    s.made.splice(0, s.endClock.length)
  }
  // An unacked mark may never have reached the relay: the next one would leave a clock gap.
  if (closed.length > 0 || states.some((s) => s.next < s.endClock.length)) devicesOf.delete(key)
  return {
    ackedPerSec: (ackedInWindow / durationMs) * 1000,
    sentPerSec: (measuredSent / durationMs) * 1000,
    p50: percentile(hist, 0.5),
    p99: percentile(hist, 0.99),
    max: hist.max,
    measured: hist.n,
    unacked,
    loadLagMaxMs: lagMax,
    windowStartedAt: Date.now() - (performance.now() - t0),
    ackGapMaxMs: ackGapMax,
    closed: closed.length,
    closeCodes: [...new Set(closed)],
    ...(trace ? { timeline } : {}),
  }
}

// BENCH_LOAD_NICE=-5 runs the load process ahead of the relays and PostgreSQL on the shared
// cores (every thread; negative needs root): its reading of an ack is then not delayed by theirs.
if (process.env.BENCH_LOAD_NICE) {
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(tid), Number(process.env.BENCH_LOAD_NICE))
    } catch {
      // A thread that ended meanwhile, or no permission.
    }
  }
}

process.on('message', async (m: Command) => {
  try {
    send({
      ok: true,
      value: await run(
        m.target,
        m.targets?.length ?? m.writers,
        m.window,
        m.durationMs,
        m.rate,
        m.trace,
        m.targets,
      ),
    })
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
