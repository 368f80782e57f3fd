/**
 * @module Several relay processes on one PostgreSQL database, as operators run them (`main()`:
 * registry, routing by leases, drain on SIGTERM; fixtures/postgres-relay.ts), and writers (the
 * client library, every relay's URL) marking at a steady rate, for the issue 25 suites (T4–T7).
 */
import { conversationIds, inboxRoots, markKey, readMark } from '@switchboard/core'
import type { createPrng } from '@switchboard/core/testing'
import { createSwitchboard, type Switchboard } from '@switchboard/client/node'
import { join } from 'node:path'
import WebSocket from 'ws'
import { sleep, waitFor } from './figures.ts'
import {
  FIXTURES,
  SECRET,
  WEBHOOK_SECRET,
  login,
  spawnRelay,
  tempDir,
  webhookSignature,
  type RelayProcess,
} from './relay.ts'

export const ROOM_NUMBER = 'pn-support'
const WORKSPACE = JSON.stringify({
  phoneNumbers: [ROOM_NUMBER],
  members: [['alice', 'owner', [ROOM_NUMBER]]],
})

/**
 * Relay `id` on the database; `seed` seeds the members (the first relay only); `port` restarts a
 * relay where the writers' URL lists it (default: any free port).
 */
export async function startPgRelay(
  url: string,
  id: string,
  options: { seed: boolean; leaseMs: number; heartbeatMs: number; port?: number },
): Promise<RelayProcess> {
  const relay = await spawnRelay(
    {
      DATABASE_URL: url,
      RELAY_ID: id,
      SWITCHBOARD_SECRET: SECRET,
      WEBHOOK_SECRET,
      LEASE_MS: String(options.leaseMs),
      HEARTBEAT_MS: String(options.heartbeatMs),
      DATA_DIR: tempDir(`pg-${id}`),
      PORT: String(options.port ?? 0),
      ...(options.seed ? { WORKSPACE } : {}),
    },
    join(FIXTURES, 'postgres-relay.ts'),
  )
  await waitFor(() => relay.output().includes('workspace seeded'), `relay ${id} to start`)
  return relay
}

/** `n` conversations written through the relay at `url`: it loads the room and owns it. */
export async function seedConversations(url: string, n: number): Promise<void> {
  const raw = JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      id: `pg-seed-${i}`,
      conversationId: `pg-c${i}`,
      phoneNumberId: ROOM_NUMBER,
      direction: 'incoming',
      kind: 'message',
      from: `+1555030${String(i).padStart(4, '0')}`,
      to: '+14155551000',
      body: 'Hello',
      at: Date.now() - 60_000,
    })),
  )
  const res = await fetch(`${url}/api/webhooks/activity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-switchboard-signature': webhookSignature(raw),
    },
    body: raw,
  })
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${await res.text()}`)
}

export interface Writer {
  sb: Switchboard
  device: string
  /** The HLC of each mark made, in order. */
  marks: string[]
  /** When each of `marks` was made (Date.now()). */
  madeAt: number[]
  /** Marks acknowledged (the first `acked` of `marks`), and when each acknowledgement came. */
  acked: number
  ackTimes: number[]
  /** When each of its sockets closed (ms), with the code. */
  closes: { at: number; code: number }[]
  /** When each of its sockets opened (ms), and on which relay (the URL's port). */
  opens: { at: number; port: string }[]
}

export interface Writers {
  writers: Writer[]
  /** Stops marking and waits until every writer's loop ended and it is synced. */
  stop(): Promise<void>
  /** Resolves once every writer is acknowledged for a mark made after this call. */
  ackedAgain(what: string): Promise<void>
  /** `device|at` of every acknowledged mark. */
  acked(): string[]
}

/** `n` writers signed in at `urls[0]`, each marking `perSecond` times a second until `stop()`. */
export async function startWriters(
  urls: string[],
  n: number,
  perSecond: number,
  prng: ReturnType<typeof createPrng>,
  prefix: string,
): Promise<Writers> {
  const writers: Writer[] = []
  for (let w = 0; w < n; w++) {
    const session = await login(urls[0]!, 'alice@example.com')
    const device = `${prefix}-${w}`
    const writer: Writer = {
      sb: null!,
      device,
      marks: [],
      madeAt: [],
      acked: 0,
      ackTimes: [],
      closes: [],
      opens: [],
    }
    writer.sb = createSwitchboard({
      urls,
      token: session.token,
      expiresAt: session.expiresAt,
      member: session.member,
      storage: 'memory',
      deviceId: device,
      WebSocket: recordingCloses(writer),
    })
    writer.sb.inbox(ROOM_NUMBER)
    // pending 0: every mark made so far is stored by a relay.
    writer.sb.onStatus((_s, pending) => {
      if (pending === 0 && writer.acked !== writer.marks.length) {
        writer.acked = writer.marks.length
        writer.ackTimes.push(Date.now())
      }
    })
    writers.push(writer)
  }
  await Promise.all(writers.map((w) => w.sb.whenSynced()))
  let writing = true
  const loops = writers.map(async (w) => {
    const inbox = w.sb.inbox(ROOM_NUMBER)
    const ids = conversationIds(inbox.doc)
    while (writing) {
      const started = Date.now()
      const id = prng.pick(ids)
      await (prng.chance(0.5) ? inbox.markDone(id) : inbox.markUnread(id))
      w.marks.push(readMark(inbox.doc, markKey(id, 'status', w.device))!.at)
      w.madeAt.push(Date.now())
      await sleep(Math.max(0, 1000 / perSecond - (Date.now() - started)))
    }
  })
  return {
    writers,
    async stop() {
      writing = false
      await Promise.all(loops)
      await Promise.all(writers.map((w) => w.sb.whenSynced()))
    },
    async ackedAgain(what) {
      const madeBy = writers.map((w) => w.marks.length)
      await waitFor(() => writers.every((w, i) => w.acked > madeBy[i]!), what, 30_000)
    },
    acked: () => writers.flatMap((w) => w.marks.slice(0, w.acked).map((at) => `${w.device}|${at}`)),
  }
}

/** `ws`'s WebSocket (the client's in Node), recording each socket's close on `writer`. */
function recordingCloses(writer: Writer): unknown {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      this.on('close', (code: number) => writer.closes.push({ at: Date.now(), code }))
      const port = new URL(String(url)).port
      this.on('open', () => writer.opens.push({ at: Date.now(), port }))
    }
  }
}

/**
 * Reads the room through a fresh replica at `url`: of `acked` (`device|at`), how many are
 * missing, and how many marks the history holds more than once.
 */
export async function readBack(
  url: string,
  acked: string[],
): Promise<{ lost: number; doubled: number }> {
  const check = await login(url, 'alice@example.com')
  const verifier = createSwitchboard({
    url,
    token: check.token,
    expiresAt: check.expiresAt,
    member: check.member,
    storage: 'memory',
    deviceId: 'pg-verifier',
  })
  const doc = verifier.inbox(ROOM_NUMBER).doc
  await verifier.whenSynced()
  const keys = () => new Set(inboxRoots.history(doc).map((h) => `${h.deviceId}|${h.at}`))
  // whenSynced() has been seen to resolve before a fresh replica's first sync (1 run in 8, an
  // empty history): wait for the acknowledged marks, then count what is there.
  await waitFor(() => acked.every((k) => keys().has(k)), 'acknowledged marks', 10_000).catch(
    () => {},
  )
  const counts = new Map<string, number>()
  for (const h of inboxRoots.history(doc).toArray()) {
    const key = `${h.deviceId}|${h.at}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  await verifier.destroy()
  return {
    lost: acked.filter((k) => !counts.has(k)).length,
    doubled: [...counts.values()].filter((n) => n > 1).length,
  }
}
