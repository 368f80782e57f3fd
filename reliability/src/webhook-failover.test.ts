/**
 * Issue 25 T7, second half — webhooks through the owner's crash [W6][DESIGN §4].
 *
 * Two relay processes as operators run them (`main()` on PostgreSQL; support/pg-relays.ts) share
 * one database; the first owns the inbox room. Signed webhooks (the relay's own activity webhook,
 * HMAC with `WEBHOOK_SECRET`: the provider routes differ only in their signature check before the
 * same inbound queue) are posted at a steady rate, each delivered 3× 50 ms apart, the relays taking
 * turns, so every message reaches the survivor at least once. Two members' sockets (the client
 * library, both URLs, one starting on each relay) watch the inbox's activity log. At a random
 * moment the owner is SIGKILLed; posting goes on past the lease (the survivor takes the room).
 *
 * Checked: every message answered 2xx by a relay is in the inbox exactly once, no message twice,
 * and both watchers see every one of them (within 30 s: a correctness bound, not the target).
 * Recorded (targets, not asserted): the survivor's 2xx latency before and after the kill (≤ 100 ms)
 * and how long after the kill the activities posted until the lease lapsed appear (≤ 10 s).
 */
import { readActivityLog, inboxRoots, decodeLogEntry, type StoredLogEntry } from '@switchboard/core'
import { createPrng } from '@switchboard/core/testing'
import { createSwitchboard, type Switchboard } from '@switchboard/client/node'
import { startTestPostgres, type TestPostgres } from '@switchboard/relay/testing'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { percentile, recordFigures, scale, sleep, waitFor } from './support/figures.ts'
import { ROOM_NUMBER, seedConversations, startPgRelay } from './support/pg-relays.ts'
import { login, webhookSignature, type RelayProcess } from './support/relay.ts'

const MESSAGES_PER_SECOND = scale(50, 200)
const DELIVERIES = 3
const RETRY_AFTER_MS = 50
/** The short profile's lease keeps `pnpm test` fast; the long one runs the operators' default. */
const LEASE = scale({ leaseMs: 1500, heartbeatMs: 300 }, { leaseMs: 5000, heartbeatMs: 1000 })
/** Posting goes on this long after the kill: past the lease, through the takeover. */
const POST_AFTER_KILL_MS = LEASE.leaseMs + 2000
const CONTACTS = 20
/**
 * When the owner is killed, ms after posting starts: the long profile lets the relays warm up
 * first (its 20 new conversations claimed and loaded at once put the first seconds' answers
 * 1–3 s behind, which is the cold start, not the failover).
 */
const KILL_AFTER_MS: [number, number] = scale([1000, 2000], [5000, 6000])

interface Post {
  relay: 'a' | 'b'
  sentAt: number
  status: number | string
  ms: number
}

interface Message {
  id: string
  firstSentAt: number
  posts: Post[]
}

const agents = { a: new Agent({ keepAlive: true }), b: new Agent({ keepAlive: true }) }
const figures: Record<string, unknown> = {}
const processes: RelayProcess[] = []
let pg: TestPostgres | undefined
afterAll(async () => {
  agents.a.destroy()
  agents.b.destroy()
  for (const r of processes) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  await pg?.destroy()
  recordFigures('webhook-failover', figures)
})

/** Posts one signed activity webhook; resolves with the status or the error's code. */
function postActivity(port: number, agent: Agent, raw: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/webhooks/activity',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(raw),
          'x-switchboard-signature': webhookSignature(raw),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
      },
    )
    req.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
    req.end(raw)
  })
}

/** A member's replica of the inbox noting when each activity id first appears in its log. */
async function startWatcher(urls: string[], device: string) {
  const session = await login(urls[0]!, 'alice@example.com')
  const sb: Switchboard = createSwitchboard({
    urls,
    token: session.token,
    expiresAt: session.expiresAt,
    member: session.member,
    storage: 'memory',
    deviceId: device,
  })
  const seenAt = new Map<string, number>()
  inboxRoots.activityLog(sb.inbox(ROOM_NUMBER).doc).observe((event) => {
    const now = Date.now()
    for (const item of event.changes.added)
      for (const stored of item.content.getContent() as StoredLogEntry[]) {
        const { id } = decodeLogEntry(stored)
        if (!seenAt.has(id)) seenAt.set(id, now)
      }
  })
  await sb.whenSynced()
  return { sb, seenAt }
}

/** CPU time a process used so far, ms (/proc: user + system ticks at 100 a second). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const ok = (p: Post) => typeof p.status === 'number' && p.status >= 200 && p.status < 300
const summary = (ms: number[]) => ({
  n: ms.length,
  p50: percentile(ms, 50),
  p99: percentile(ms, 99),
  max: ms.length ? Math.max(...ms) : 0,
})

describe('[W6][§4] webhooks through the owner crash on two relays (issue 25 T7)', () => {
  it(`every message answered 2xx appears once, at both watchers (${MESSAGES_PER_SECOND}/s, each ${DELIVERIES}×, LEASE_MS ${LEASE.leaseMs})`, async () => {
    const prng = createPrng(2507)
    pg = await startTestPostgres()
    const url = await pg.createDatabase()
    const relays = {
      a: await startPgRelay(url, 'a', { seed: true, ...LEASE }),
      b: await startPgRelay(url, 'b', { seed: false, ...LEASE }),
    }
    processes.push(relays.a, relays.b)
    // Written by a: a loads the inbox room first and owns it.
    await seedConversations(relays.a.url, 1)
    const watchers = [
      await startWatcher([relays.a.url, relays.b.url], 't7-watch-a'),
      await startWatcher([relays.b.url, relays.a.url], 't7-watch-b'),
    ]

    const messages: Message[] = []
    const inFlight = new Set<Promise<void>>()
    const deliver = (m: Message, raw: string, relay: 'a' | 'b') => {
      const sentAt = Date.now()
      const t0 = performance.now()
      const p = postActivity(relays[relay].port, agents[relay], raw).then((status) => {
        m.posts.push({ relay, sentAt, status, ms: performance.now() - t0 })
      })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    }
    let posting = true
    const started = Date.now()
    const cpu0 = {
      a: cpuMs(relays.a.child.pid!),
      b: cpuMs(relays.b.child.pid!),
      test: process.cpuUsage(),
    }
    const poster = (async () => {
      for (let i = 0; posting; i++) {
        const due = started + (i * 1000) / MESSAGES_PER_SECOND
        if (due > Date.now()) await sleep(due - Date.now())
        const id = `t7-failover-${i}`
        const raw = JSON.stringify([
          {
            id,
            conversationId: `t7-c${i % CONTACTS}`,
            phoneNumberId: ROOM_NUMBER,
            direction: 'incoming',
            kind: 'message',
            from: `+1555040${String(i % CONTACTS).padStart(4, '0')}`,
            to: '+14155551000',
            body: `Hello #${i}`,
            at: Date.now(),
          },
        ])
        const m: Message = { id, firstSentAt: Date.now(), posts: [] }
        messages.push(m)
        for (let k = 0; k < DELIVERIES; k++) {
          const relay = (i + k) % 2 ? 'b' : 'a'
          if (k === 0) deliver(m, raw, relay)
          else setTimeout(() => deliver(m, raw, relay), k * RETRY_AFTER_MS)
        }
      }
    })()

    await sleep(prng.range(...KILL_AFTER_MS))
    const ownerCpuMs = cpuMs(relays.a.child.pid!) - cpu0.a
    relays.a.child.kill('SIGKILL')
    const killedAt = Date.now()
    await relays.a.exited
    await sleep(POST_AFTER_KILL_MS)
    posting = false
    await poster
    await sleep(DELIVERIES * RETRY_AFTER_MS)
    while (inFlight.size) await Promise.race(inFlight)
    const postedMs = Date.now() - started
    const test = process.cpuUsage(cpu0.test)
    // Where the time went: each process's CPU, ms per second of posting (the owner's until the kill).
    const cpuMsPerSec = {
      owner: Math.round((ownerCpuMs * 1000) / (killedAt - started)),
      survivor: Math.round(((cpuMs(relays.b.child.pid!) - cpu0.b) * 1000) / postedMs),
      test: Math.round((test.user + test.system) / postedMs),
    }

    const answered = messages.filter((m) => m.posts.some(ok))
    await waitFor(
      () => watchers.every((w) => answered.every((m) => w.seenAt.has(m.id))),
      'every message answered 2xx visible at both watchers',
      30_000,
    ).catch(() => {})

    // A fresh replica at the survivor: each message's activity in the inbox's log, counted.
    const check = await login(relays.b.url, 'alice@example.com')
    const verifier = createSwitchboard({
      url: relays.b.url,
      token: check.token,
      expiresAt: check.expiresAt,
      member: check.member,
      storage: 'memory',
      deviceId: 't7-verifier',
    })
    const doc = verifier.inbox(ROOM_NUMBER).doc
    await verifier.whenSynced()
    await waitFor(
      () => {
        const ids = new Set(readActivityLog(doc).map((e) => e.id))
        return answered.every((m) => ids.has(m.id))
      },
      'answered messages in a fresh replica',
      10_000,
    ).catch(() => {})
    const times = new Map<string, number>()
    for (const e of readActivityLog(doc)) times.set(e.id, (times.get(e.id) ?? 0) + 1)
    await verifier.destroy()
    for (const w of watchers) await w.sb.destroy()

    const posts = messages.flatMap((m) => m.posts)
    const survivor = (from: number, to: number) =>
      posts.filter((p) => p.relay === 'b' && ok(p) && p.sentAt >= from && p.sentAt < to)
    const lapse = killedAt + LEASE.leaseMs
    const missing = answered.filter((m) => !times.has(m.id)).length
    const twice = [...times.values()].filter((n) => n > 1).length
    const unseen = watchers.map((w) => answered.filter((m) => !w.seenAt.has(m.id)).length)
    // Per watcher: when the last message posted before the lease lapsed appeared, after the kill.
    const appearedAfterKillMs = watchers.map((w) =>
      Math.max(
        ...answered
          .filter((m) => m.firstSentAt < lapse && w.seenAt.has(m.id))
          .map((m) => w.seenAt.get(m.id)! - killedAt),
      ),
    )
    const visibleMs = (from: number, to: number) =>
      summary(
        watchers.flatMap((w) =>
          answered
            .filter((m) => m.firstSentAt >= from && m.firstSentAt < to && w.seenAt.has(m.id))
            .map((m) => w.seenAt.get(m.id)! - m.firstSentAt),
        ),
      )
    const statuses: Record<string, number> = {}
    for (const p of posts)
      statuses[`${p.relay} ${p.status}`] = (statuses[`${p.relay} ${p.status}`] ?? 0) + 1

    Object.assign(figures, {
      messagesPerSecond: MESSAGES_PER_SECOND,
      deliveries: DELIVERIES,
      leaseMs: LEASE.leaseMs,
      killAfterMs: killedAt - started,
      messages: messages.length,
      answered2xx: answered.length,
      posts: statuses,
      survivor2xxMs: {
        beforeKill: summary(survivor(0, killedAt).map((p) => p.ms)),
        killToLeaseLapse: summary(survivor(killedAt, lapse).map((p) => p.ms)),
        // The same, split: the owner's last renewal came at most a heartbeat before the kill, so
        // its lease lapses (and the survivor takes its rooms over) in the last heartbeat of it.
        leaseSurelyHeld: summary(survivor(killedAt, lapse - LEASE.heartbeatMs).map((p) => p.ms)),
        leaseLapsing: summary(survivor(lapse - LEASE.heartbeatMs, lapse).map((p) => p.ms)),
        afterLeaseLapse: summary(survivor(lapse, Infinity).map((p) => p.ms)),
      },
      owner2xxMsBeforeKill: summary(posts.filter((p) => p.relay === 'a' && ok(p)).map((p) => p.ms)),
      visibleAfterFirstSendMs: {
        beforeKill: visibleMs(0, killedAt),
        killToLeaseLapse: visibleMs(killedAt, lapse),
        afterLeaseLapse: visibleMs(lapse, Infinity),
      },
      appearedAfterKillMs,
      cpuMsPerSec,
      missing,
      loggedTwice: twice,
      unseenByWatchers: unseen,
    })
    const said = JSON.stringify(figures)
    expect(answered.length, said).toBeGreaterThan(MESSAGES_PER_SECOND)
    // The survivor answered through the failover.
    expect(survivor(lapse, Infinity).length, said).toBeGreaterThan(0)
    expect(missing, said).toBe(0)
    expect(twice, said).toBe(0)
    expect(unseen, said).toEqual([0, 0])
  })
})
