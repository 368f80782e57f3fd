/**
 * Two relays on one PostgreSQL database giving rooms up (docs/scale-out.md "Lost leases and
 * drains", issue 25 T4 and T5): a relay paused past its lease (SIGSTOP on a child process) closes
 * its sockets on waking and writes nothing under its old fence once another relay took the room,
 * then serves again; a relay closed (SIGTERM's path) drains — acks out, its own clients told 1001,
 * a relay link's clients 1012 — and releases its rooms, so the other relay serves them at once.
 */
import { conversationIds, getConversation, markConversation } from '@switchboard/core'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { main } from '../main.ts'
import type { RelayServer } from '../node/server.ts'
import { connectPostgres, type Sql } from '../storage/postgres-connect.ts'
import {
  author,
  connectProvider,
  incoming,
  PASSWORD,
  sign,
  trackAcks,
  until,
  WEBHOOK_SECRET,
  WORKSPACE,
  type Client,
} from '../test-helpers.ts'
import { seedWorkspace } from '../testing/workspace.ts'
import { spawnRelayProcess } from '../testing/process.ts'
import { createTestDatabase } from '../testing/postgres.ts'

const ROOM = 'inbox:pn-a'
const env = (url: string, relayId: string, lease: { LEASE_MS: string; HEARTBEAT_MS: string }) => ({
  DATABASE_URL: url,
  RELAY_ID: relayId,
  SWITCHBOARD_SECRET: 'lease-drain-test-secret-0123456789abcdef',
  WEBHOOK_SECRET,
  DEMO: '0',
  PORT: '0',
  DATA_DIR: mkdtempSync(join(tmpdir(), `lease-drain-${relayId}-`)),
  ...lease,
})

async function login(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

/** Three conversations in the room, written by the relay at `url`: it loads and owns the room. */
async function seedRoom(url: string) {
  const raw = JSON.stringify(['c1', 'c2', 'c3'].map((id) => incoming(id, 'pn-a')))
  const res = await fetch(`${url}/api/webhooks/activity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchboard-signature': sign(raw) },
    body: raw,
  })
  expect(res.status).toBe(202)
}

const wsUrl = (httpUrl: string) => `ws://${new URL(httpUrl).host}/sync`

/** Polls an async check every few milliseconds (no fixed sleeps). */
async function eventually(check: () => Promise<boolean>, what: string, limitMs = 20_000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const roomRow = async (sql: Sql) => {
  const [row] = await sql<{ owner: string; fence: string; last_seq: string }[]>`
    select owner, fence::text, last_seq::text from room where room = ${ROOM}`
  return row!
}

/** A conversation of the room still Open, for a mark whose absence is then checkable. */
const openConversation = (doc: Y.Doc, skip: string[] = []) =>
  conversationIds(doc).find(
    (id) => !skip.includes(id) && getConversation(doc, id)?.status === 'open',
  )!

describe('a relay that loses its lease or drains', () => {
  const clients: Client[] = []
  const servers: RelayServer[] = []
  const children: ChildProcess[] = []
  const pools: Sql[] = []
  afterAll(async () => {
    for (const c of clients) c.destroy()
    for (const child of children) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
    for (const s of servers) await s.close().catch(() => {})
    for (const p of pools) await p.end()
  })

  /**
   * Relays a (the room's owner, Alice synced on it) and b on one database, with a lease far longer
   * than the test: only a's release lets b serve the room.
   */
  async function drainPair() {
    const url = await createTestDatabase()
    const sql = connectPostgres(url, { max: 1 })
    pools.push(sql)
    const lease = { LEASE_MS: '600000', HEARTBEAT_MS: '1000' }
    const a = await main(env(url, 'a', lease))
    servers.push(a)
    await seedWorkspace(a.relay, WORKSPACE)
    await seedRoom(a.url)
    const b = await main(env(url, 'b', lease))
    servers.push(b)
    const alice = connectProvider(wsUrl(a.url), ROOM, await login(a.url, 'alice@example.com'), {
      ack: '1',
    })
    clients.push(alice)
    const aliceAcks = trackAcks(alice)
    await alice.synced
    return { sql, a, b, alice, aliceAcks }
  }

  it(
    '[L7] paused past its lease (SIGSTOP) while another relay takes its room: on waking it closes its sockets, stores nothing under the old fence, and serves again once renewed',
    { timeout: 120_000 },
    async () => {
      const url = await createTestDatabase()
      const sql = connectPostgres(url, { max: 1 })
      pools.push(sql)
      const lease = { LEASE_MS: '1000', HEARTBEAT_MS: '200' }
      const b = await main(env(url, 'b', lease))
      servers.push(b)
      await seedWorkspace(b.relay, WORKSPACE)
      const a = await spawnRelayProcess(env(url, 'a', lease), {
        onSpawn: (child) => children.push(child),
      })
      await seedRoom(a.url)

      // Alice writes on relay a, which loads the room first and owns it.
      const alice = connectProvider(wsUrl(a.url), ROOM, await login(a.url, 'alice@example.com'), {
        ack: '1',
      })
      clients.push(alice)
      const aliceAcks = trackAcks(alice)
      await alice.synced
      const first = openConversation(alice.doc)
      markConversation(alice.doc, first, 'done', author('alice', 'zombie-laptop'))
      await aliceAcks.acked()
      const before = await roomRow(sql)
      expect(before.owner).toBe('a')
      // Once closed, Alice's provider stays closed: a mark it never had acknowledged is not resent.
      let closedAt = 0
      alice.provider.on('connection-close', () => {
        closedAt ||= performance.now()
        alice.provider.shouldConnect = false
      })

      a.child.kill('SIGSTOP')
      // Sent while a is stopped: it waits in a's socket buffer.
      const second = openConversation(alice.doc, [first])
      markConversation(alice.doc, second, 'done', author('alice', 'zombie-laptop'))
      const ackedBeforeWake = aliceAcks.clock()
      await eventually(async () => {
        const [row] = await sql<{ dead: boolean }[]>`
          select heartbeat < now() - interval '1000 ms' as dead from relays where id = 'a'`
        return row!.dead
      }, 'relay a’s lease to lapse')

      // Carol's socket reaches b: a's lease lapsed, so b takes the room with a new fence.
      const carol = connectProvider(wsUrl(b.url), ROOM, await login(b.url, 'carol@example.com'), {
        ack: '1',
      })
      clients.push(carol)
      await carol.synced
      expect(b.relay.loadedRooms()).toContain(ROOM)
      const taken = await roomRow(sql)
      expect(taken.owner).toBe('b')
      expect(BigInt(taken.fence)).toBeGreaterThan(BigInt(before.fence))
      expect(getConversation(carol.doc, first)?.status).toBe('done')

      const woke = performance.now()
      a.child.kill('SIGCONT')
      await until(() => alice.closes.length > 0, 'relay a to close Alice’s socket')
      // 1001 when a's watchdog ran first, 1012 when its refused append did.
      expect([1001, 1012]).toContain(alice.closes[0]!.code)
      console.log(
        `[lease-loss] zombie closed its socket ${Math.round(closedAt - woke)} ms after SIGCONT (${alice.closes[0]!.code} ${alice.closes[0]!.reason})`,
      )
      // a serves again once its heartbeat is renewed.
      await until(() => a.output().includes('serving rooms again'), 'relay a to renew its lease')

      // Nothing was appended after b took the room: the mark a held when paused was refused.
      expect((await roomRow(sql)).last_seq).toBe(taken.last_seq)
      const [after] = await sql<{ n: number }[]>`
        select count(*)::int as n from room_log where room = ${ROOM} and seq > ${taken.last_seq}`
      expect(after!.n).toBe(0)
      expect(aliceAcks.clock()).toBe(ackedBeforeWake)
      expect(getConversation(carol.doc, second)?.status).toBe('open')

      // a serves again: a socket reaching it for the room is proxied to b, the owner now.
      const again = connectProvider(wsUrl(a.url), ROOM, await login(a.url, 'alice@example.com'), {
        ack: '1',
      })
      clients.push(again)
      const againAcks = trackAcks(again)
      await again.synced
      markConversation(again.doc, second, 'unread', author('alice', 'after-wake'))
      await againAcks.acked()
      await until(
        () => getConversation(carol.doc, second)?.unread === true,
        'Carol to see the mark',
      )
      expect((await roomRow(sql)).owner).toBe('b')
    },
  )

  it(
    '[L7] closed (the SIGTERM path): acknowledged marks stay, its own clients get 1001 and a relay link’s 1012, and the other relay serves the room without waiting out the lease',
    { timeout: 120_000 },
    async () => {
      const { sql, a, b, alice, aliceAcks } = await drainPair()
      // Carol reaches b, which proxies her to a (the owner) over the relay link.
      const carol = connectProvider(wsUrl(b.url), ROOM, await login(b.url, 'carol@example.com'), {
        ack: '1',
      })
      clients.push(carol)
      const carolAcks = trackAcks(carol)
      await carol.synced
      expect(b.relay.loadedRooms()).not.toContain(ROOM)

      const ids = conversationIds(alice.doc)
      markConversation(alice.doc, ids[0]!, 'done', author('alice', 'drain-laptop'))
      markConversation(carol.doc, ids[1]!, 'done', author('carol', 'drain-phone'))
      await aliceAcks.acked()
      await carolAcks.acked()
      alice.provider.on('connection-close', () => (alice.provider.shouldConnect = false))

      await a.close()
      expect(alice.closes[0]).toEqual({ code: 1001, reason: 'relay shutting down' })
      await until(() => carol.closes.length > 0, 'Carol’s stream to close')
      expect(carol.closes[0]).toEqual({ code: 1012, reason: 'room moving to another relay' })
      const [row] = await sql<{ released: boolean }[]>`
        select heartbeat = 'epoch' as released from relays where id = 'a'`
      expect(row!.released).toBe(true)

      // Carol reconnects to b, which claims the room at once and serves it itself.
      await until(() => b.relay.loadedRooms().includes(ROOM), 'b to serve the room', 20_000)
      markConversation(carol.doc, ids[2]!, 'unread', author('carol', 'drain-phone'))
      await carolAcks.acked()
      expect((await roomRow(sql)).owner).toBe('b')
      for (const [id, status] of [
        [ids[0]!, 'done'],
        [ids[1]!, 'done'],
      ] as const)
        expect(getConversation(carol.doc, id)?.status).toBe(status)
      expect(getConversation(carol.doc, ids[2]!)?.unread).toBe(true)
    },
  )

  it(
    '[L7] closed, it hands its rooms with sockets to their successor, which claims and loads them before any client reaches it',
    { timeout: 120_000 },
    async () => {
      const { sql, a, b, alice, aliceAcks } = await drainPair()
      // Alice does not come back: only the hand-off can bring the room to b.
      alice.provider.on('connection-close', () => (alice.provider.shouldConnect = false))
      const ids = conversationIds(alice.doc)
      markConversation(alice.doc, ids[0]!, 'done', author('alice', 'handoff-laptop'))
      await aliceAcks.acked()
      expect(b.relay.loadedRooms()).not.toContain(ROOM)

      await a.close()
      expect(alice.closes[0]).toEqual({ code: 1001, reason: 'relay shutting down' })
      await until(() => b.relay.loadedRooms().includes(ROOM), 'b to load the handed room', 20_000)
      await eventually(async () => (await roomRow(sql)).owner === 'b', 'b to own the room')
      expect(b.relay.connectionCount()).toBe(0)

      // The first client to arrive is served the room as stored, the acknowledged mark in it.
      const carol = connectProvider(wsUrl(b.url), ROOM, await login(b.url, 'carol@example.com'))
      clients.push(carol)
      await carol.synced
      expect(getConversation(carol.doc, ids[0]!)?.status).toBe('done')
    },
  )
})
