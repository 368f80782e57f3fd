/**
 * @module Workload 9 load generator (its own process, so signing and HTTP share neither the
 * relay's nor the runner's event loop): signs provider webhooks ahead, posts them at a fixed
 * rate of messages per second and delivers each twice, the duplicate `duplicateAfterMs` after the first was sent, and
 * records the time from a request's send to its 2xx answer. Over two relays (T7, `spread`), each
 * message is delivered `deliveries` times, `duplicateAfterMs` apart, the relays taking turns.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { createHistogram, percentile, record } from '../stats.ts'
import { send } from './client.ts'
import { telnyxKeys } from '@switchboard/relay/testing'
import { RawHttpPool, serializePost } from './raw-http.ts'
import { signedRequest, type SignedRequest, type WebhookNumber } from './webhook-payloads.ts'

/**
 * Where the deliveries go (T7): delivery `k` of message `i` to `bases[(i + k) % bases.length]`
 * (the same signed bytes: the relays share `PUBLIC_URL`, which Twilio signs), `deliveries` of each.
 * Without it, each message is posted to its number's URL twice.
 */
export interface Spread {
  bases: string[]
  deliveries: number
}

type Command =
  | { cmd: 'keys' }
  | {
      cmd: 'run'
      numbers: WebhookNumber[]
      rate: number
      durationMs: number
      duplicateAfterMs: number
      spread?: Spread
    }
  | {
      cmd: 'warmup'
      numbers: WebhookNumber[]
      rate: number
      durationMs: number
      duplicateAfterMs: number
      spread?: Spread
    }
  | { cmd: 'prepare'; numbers: WebhookNumber[]; rate: number; durationMs: number }
  | { cmd: 'close' }

const keys = telnyxKeys()

// node:http over kept-alive sockets: fetch() cost this process about 0.8 ms of CPU per post, so
// at 1,000 posts/s it queued in the load generator as well as in the relay.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/** A signed request and its bytes on the wire. */
type Prepared = SignedRequest & { wire: Buffer }

const prepare = (req: SignedRequest): Prepared => ({
  ...req,
  wire: serializePost(req.url, req.headers, req.body),
})

const pools = new Map<string, RawHttpPool>()

/**
 * Posts one signed request (to `base` instead of its URL's host when given); resolves with the
 * answer's status once its body is read. Through raw-http.ts, or `node:http` with
 * BENCH_WEBHOOK_CLIENT=http (the harness before its fourth pass).
 */
function postOnce(req: Prepared, base?: string): Promise<number> {
  if (process.env.BENCH_WEBHOOK_CLIENT !== 'http' || base) {
    const { hostname, port, host } = new URL(base ?? req.url)
    let pool = pools.get(host)
    if (!pool) pools.set(host, (pool = new RawHttpPool(hostname, Number(port), 64)))
    return pool.post(req.wire)
  }
  return postViaHttp(req)
}

/** The deliveries of message `i`: after how long, and to which relay (undefined: its URL). */
function deliveriesOf(i: number, duplicateAfterMs: number, spread?: Spread) {
  if (!spread)
    return [0, duplicateAfterMs].map((after) => ({ after, base: undefined, relay: undefined }))
  return Array.from({ length: spread.deliveries }, (_, k) => ({
    after: k * duplicateAfterMs,
    base: spread.bases[(i + k) % spread.bases.length]!,
    relay: (i + k) % spread.bases.length,
  }))
}

function postViaHttp(req: SignedRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      req.url,
      {
        method: 'POST',
        agent,
        headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
      },
      (res) => {
        res.on('error', reject)
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.resume()
      },
    )
    r.on('error', reject)
    r.end(req.body)
  })
}

/**
 * Posts like the run, unmeasured, with other contacts and ids: a relay just started compiles its
 * webhook path and starts its store's threads during the first seconds, which a relay in service
 * has long done. The run after it still opens a new conversation for each of its contacts.
 */
async function warmUp(
  numbers: WebhookNumber[],
  rate: number,
  durationMs: number,
  duplicateAfterMs: number,
  activityIds: Record<string, string[]>,
  spread?: Spread,
): Promise<number> {
  const runId = randomBytes(4).toString('hex')
  const total = Math.floor((durationMs * rate) / 1000)
  const signed = Array.from({ length: total }, (_, i) =>
    prepare(signedRequest(numbers, i, runId, keys, WARMUP_CONTACTS)),
  )
  const answers: Promise<number>[] = []
  let refused = 0
  const post = (req: Prepared, base?: string) =>
    answers.push(
      postOnce(req, base).then(
        (status) => (status >= 200 && status < 300 ? 0 : refused++),
        () => refused++,
      ),
    )
  const t0 = performance.now()
  let sent = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000))
      for (; sent < due; sent++) {
        const req = signed[sent]!
        ;(activityIds[numbers[sent % numbers.length]!.provider] ??= []).push(req.activityId)
        for (const { after, base } of deliveriesOf(sent, duplicateAfterMs, spread))
          if (after === 0) post(req, base)
          else setTimeout(() => post(req, base), after)
      }
      if (sent >= total) setTimeout(resolve, ((spread?.deliveries ?? 2) - 1) * duplicateAfterMs + 1)
      else setTimeout(tick, 1)
    }
    tick()
  })
  await Promise.all(answers)
  return refused
}

/** The warm-up's contacts follow the run's 1,000. */
const WARMUP_CONTACTS = 1000
/** The warm-up's activity ids by provider, and how many of its posts were refused. */
let warmupIds: Record<string, string[]> = {}
let warmupRefused = 0

/**
 * The run's requests, signed ahead (their timestamps stay well inside the providers' 5 minutes):
 * signing as it went took this process most of a core at 1,000 posts/s, and its queue showed as
 * latency. `prepare` signs them before the run starts, so the 0.2–0.3 s of CPU it takes is not
 * spent while the marks beside the run are measured.
 */
function sign(numbers: WebhookNumber[], rate: number, durationMs: number): Prepared[] {
  const runId = randomBytes(4).toString('hex')
  const total = Math.floor((durationMs * rate) / 1000)
  return Array.from({ length: total }, (_, i) => prepare(signedRequest(numbers, i, runId, keys)))
}
let prepared: Prepared[] | null = null

export interface WebhooksRun {
  messages: number
  posts: number
  achievedRate: number
  ok: number
  /** Answers other than 2xx, by status, and requests that failed, by error code. */
  refused: Record<string, number>
  p50: number
  p99: number
  max: number
  /** The same, of the duplicate deliveries alone. */
  duplicateP50: number
  duplicateP99: number
  /** The activity id of every message sent, by provider. */
  activityIds: Record<string, string[]>
  /** p99 of the posts sent in each second of the run, in order: where the tail is. */
  p99BySecond: number[]
  /** Posts of the warm-up answered other than 2xx. */
  warmupRefused: number
  /** With `spread`: the 2xx latency of the posts to each of its `bases`, in order. */
  byRelay?: { posts: number; ok: number; p50: number; p99: number; max: number }[]
  /** With `spread`: when each message's first delivery was sent (Date.now()), by activity id. */
  sentAt?: Record<string, number>
}

async function run(
  numbers: WebhookNumber[],
  rate: number,
  durationMs: number,
  duplicateAfterMs: number,
  spread?: Spread,
): Promise<WebhooksRun> {
  // The warm-up's messages are read back with the run's.
  const activityIds = warmupIds
  const hist = createHistogram()
  const dupHist = createHistogram()
  const relayHists = (spread?.bases ?? []).map(() => ({ posts: 0, ok: 0, h: createHistogram() }))
  const sentAt: Record<string, number> = {}
  const bySecond: ReturnType<typeof createHistogram>[] = []
  const refused: Record<string, number> = {}
  const pending = new Set<Promise<void>>()
  let posts = 0
  let ok = 0
  const post = (req: Prepared, duplicate: boolean, base?: string, relay?: number) => {
    posts++
    const t0 = performance.now()
    const r = relay === undefined ? undefined : relayHists[relay]!
    if (r) r.posts++
    const p = postOnce(req, base)
      .then((status) => {
        const ms = performance.now() - t0
        if (status >= 200 && status < 300) {
          ok++
          record(hist, ms)
          if (r) {
            r.ok++
            record(r.h, ms)
          }
          record((bySecond[Math.floor((t0 - runStart) / 1000)] ??= createHistogram()), ms)
          if (duplicate) record(dupHist, ms)
        } else refused[status] = (refused[status] ?? 0) + 1
      })
      .catch((err: Error & { code?: string }) => {
        const why = `failed: ${err.code ?? err.message}`
        refused[why] = (refused[why] ?? 0) + 1
      })
      .finally(() => pending.delete(p))
    pending.add(p)
  }
  let sent = 0
  let runStart = performance.now()
  const total = Math.floor((durationMs * rate) / 1000)
  const signed = prepared?.slice(0, total) ?? sign(numbers, rate, durationMs)
  prepared = null
  const t0 = performance.now()
  runStart = t0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0
      const due = Math.min(total, Math.floor((elapsed * rate) / 1000))
      while (sent < due) {
        const req = signed[sent]!
        const provider = numbers[sent % numbers.length]!.provider
        ;(activityIds[provider] ??= []).push(req.activityId)
        if (spread) sentAt[req.activityId] = Date.now()
        for (const { after, base, relay } of deliveriesOf(sent, duplicateAfterMs, spread))
          if (after === 0) post(req, false, base, relay)
          else setTimeout(() => post(req, true, base, relay), after)
        sent++
      }
      if (sent >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  const sendMs = performance.now() - t0
  // Every duplicate posted (their timers may lag behind a busy loop), then every answer in.
  while (posts < (spread?.deliveries ?? 2) * sent || pending.size)
    await (pending.size ? Promise.race(pending) : new Promise((r) => setTimeout(r, 5)))
  return {
    messages: sent,
    posts,
    achievedRate: (sent / sendMs) * 1000,
    ok,
    refused,
    p50: percentile(hist, 0.5),
    p99: percentile(hist, 0.99),
    max: hist.max,
    duplicateP50: percentile(dupHist, 0.5),
    duplicateP99: percentile(dupHist, 0.99),
    activityIds,
    p99BySecond: Array.from(bySecond, (h) => (h ? percentile(h, 0.99) : NaN)),
    warmupRefused,
    ...(spread && {
      byRelay: relayHists.map(({ posts, ok, h }) => ({
        posts,
        ok,
        p50: percentile(h, 0.5),
        p99: percentile(h, 0.99),
        max: h.max,
      })),
      sentAt,
    }),
  }
}

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'keys') send({ ok: true, value: { telnyxPublicKey: keys.publicKey } })
    else if (m.cmd === 'run')
      send({
        ok: true,
        value: await run(m.numbers, m.rate, m.durationMs, m.duplicateAfterMs, m.spread),
      })
    else if (m.cmd === 'prepare') {
      prepared = sign(m.numbers, m.rate, m.durationMs)
      send({ ok: true, value: prepared.length })
    } else if (m.cmd === 'warmup') {
      warmupIds = {}
      warmupRefused = await warmUp(
        m.numbers,
        m.rate,
        m.durationMs,
        m.duplicateAfterMs,
        warmupIds,
        m.spread,
      )
      send({ ok: true, value: warmupRefused })
    } else {
      send({ ok: true, value: null })
      process.exit(0)
    }
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
