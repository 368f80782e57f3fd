/**
 * [W6][W11] Webhooks across relays on one PostgreSQL database (docs/scale-out.md "Webhooks across
 * relays"): any relay takes a webhook in, the room's owner applies it, once; a room is never
 * taken from its live owner for a webhook; rows a dead owner left waiting are applied by the
 * relay that claims the room.
 */
import {
  getConversation,
  listActivities,
  markConversation,
  readActivityLog,
} from '@switchboard/core'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Sql } from '../storage/postgres-connect.ts'
import {
  SECRET,
  WEBHOOK_SECRET,
  api,
  author,
  connectProvider,
  incoming,
  until,
  type Client,
} from '../test-helpers.ts'
import { spawnRelayProcess, type RelayProcess } from '../testing/index.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import { eventually, pgRelay, roomRow, stopPgRelays, type PgRelay } from './pg-relays.fixture.ts'

const clients: Client[] = []
const children: RelayProcess[] = []
afterAll(async () => {
  for (const c of clients) c.destroy()
  for (const child of children) child.child.kill('SIGKILL')
  await stopPgRelays()
})

async function pendingRows(sql: Sql, eventId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from inbound where event_id = ${eventId} and done_at is null`
  return row!.n
}

interface Accepted {
  results: { id: string; duplicate: boolean; queued?: boolean }[]
}

async function post(r: PgRelay, body: unknown): Promise<Accepted['results'][number]> {
  const res = await r.server.webhook(body)
  expect(res.status).toBe(202)
  return ((await res.json()) as Accepted).results[0]!
}

const times = (doc: Client['doc'], id: string) =>
  readActivityLog(doc).filter((e) => e.id === id).length

describe('[W11] webhooks across relays', () => {
  it(
    '[W6][W11] a webhook posted to relay B for a room A owns is applied by A once, the room stays A’s (same fence); a retry posted to A and B at once adds nothing',
    { timeout: 60_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await pgRelay(url, 'a', 5000)
      const b = await pgRelay(url, 'b', 5000)
      const token = await a.server.login('alice@example.com')
      const onA = connectProvider(a.server.wsUrl, 'inbox:pn-a', token)
      clients.push(onA)
      await onA.synced
      const owned = await roomRow(a.storage.sql, 'inbox:pn-a')
      expect(owned?.owner).toBe('a')

      const activity = incoming('c-inbound-1', 'pn-a')
      expect(await post(b, activity)).toMatchObject({
        id: activity.id,
        duplicate: false,
        queued: true,
      })
      await until(() => times(onA.doc, activity.id) === 1, 'relay a to apply it (Alice sees it)')
      expect(await roomRow(a.storage.sql, 'inbox:pn-a')).toEqual(owned)
      expect(b.server.relay.loadedRooms()).not.toContain('inbox:pn-a')
      await eventually(async () => (await pendingRows(a.storage.sql, activity.id)) === 0, 'done')

      // The retry reaches both relays at once: a duplicate on each, nothing added anywhere.
      const retries = await Promise.all([post(a, activity), post(b, activity)])
      expect(retries.map((r) => r.duplicate)).toEqual([true, true])
      // A new activity delivered to both relays at once is taken in by exactly one.
      const twice = incoming('c-inbound-1', 'pn-a')
      const both = await Promise.all([post(a, twice), post(b, twice)])
      expect(both.filter((r) => !r.duplicate)).toHaveLength(1)
      await until(() => times(onA.doc, twice.id) === 1, 'the second activity applied')
      expect(await roomRow(a.storage.sql, 'inbox:pn-a')).toEqual(owned)

      // The conversation room had no owner: the relay the first webhook reached claimed it.
      const conversation = connectProvider(a.server.wsUrl, 'conversation:c-inbound-1', token)
      clients.push(conversation)
      await conversation.synced
      await until(() => listActivities(conversation.doc).length === 2, 'both in the conversation')
      expect(listActivities(conversation.doc).map((x) => x.id)).toEqual([activity.id, twice.id])
      expect(times(onA.doc, activity.id)).toBe(1)
      expect(times(onA.doc, twice.id)).toBe(1)
    },
  )

  it(
    '[W11] a relay killed with rows waiting for its room: the relay that claims the room once the lease lapses applies them, once',
    { timeout: 60_000 },
    async () => {
      const leaseMs = 3000
      const url = await createTestDatabase()
      const b = await pgRelay(url, 'b', leaseMs)
      const a = await spawnRelayProcess({
        DATABASE_URL: url,
        RELAY_ID: 'a',
        SWITCHBOARD_SECRET: SECRET,
        WEBHOOK_SECRET,
        DEMO: '0',
        LEASE_MS: String(leaseMs),
        HEARTBEAT_MS: String(leaseMs / 4),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'inbound-a-')),
      })
      children.push(a)
      const login = await fetch(`${a.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'alice@example.com', password: 'demo-password' }),
      })
      const { token } = (await login.json()) as { token: string }
      const onA = connectProvider(`ws://${new URL(a.url).host}/sync`, 'inbox:pn-a', token)
      clients.push(onA)
      await onA.synced
      const owned = await roomRow(b.storage.sql, 'inbox:pn-a')
      expect(owned?.owner).toBe('a')

      a.child.kill('SIGKILL')
      await a.exited
      onA.destroy()
      // Within a's lease: b queues the activity for a and answers at once.
      const activity = incoming('c-inbound-dead', 'pn-a')
      expect(await post(b, activity)).toMatchObject({ duplicate: false, queued: true })
      await until(
        () => b.server.relay.loadedRooms().includes('inbox:pn-a'),
        'b to claim the room once a’s lease lapsed',
        20_000,
      )
      await eventually(async () => (await pendingRows(b.storage.sql, activity.id)) === 0, 'done')
      const taken = await roomRow(b.storage.sql, 'inbox:pn-a')
      expect(taken).toEqual({ owner: 'b', fence: String(Number(owned!.fence) + 1) })

      const onB = connectProvider(
        b.server.wsUrl,
        'inbox:pn-a',
        await b.server.login('alice@example.com'),
      )
      clients.push(onB)
      await onB.synced
      expect(times(onB.doc, activity.id)).toBe(1)
      expect((await post(b, activity)).duplicate).toBe(true)
    },
  )

  it(
    '[F5][W11] the auto-close sweep of a relay that does not own the inbox leaves it to the owner, whose sweep closes it',
    { timeout: 60_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await pgRelay(url, 'a', 5000)
      const b = await pgRelay(url, 'b', 5000)
      const token = await a.server.login('alice@example.com')
      const onA = connectProvider(a.server.wsUrl, 'inbox:pn-a', token)
      clients.push(onA)
      await onA.synced
      const old = Date.now() - 10 * 86_400_000
      await a.server.relay.ingest(incoming('c-stale', 'pn-a', { at: old }))
      await a.server.relay.ingest({
        ...incoming('c-stale', 'pn-a', { at: old + 1000 }),
        direction: 'outgoing',
        from: '+14155550142',
        to: '+15555550123',
      })
      await a.server.relay.writeRoom('inbox:pn-a', (doc) =>
        markConversation(doc, 'c-stale', 'read', author('alice', 'dev-alice-old')),
      )
      const made = await api(a.server, '/api/admin/phone-numbers/pn-a/rules', {
        token,
        body: { name: 'Stale after 7 days', kind: 'close', days: 7 },
      })
      expect(made.status).toBe(201)
      await until(() => b.storage.listCloseRules().length === 1, 'b to read the rule')
      const owned = await roomRow(a.storage.sql, 'inbox:pn-a')

      expect(await b.server.relay.rules.sweep()).toBe(0)
      expect(b.server.relay.loadedRooms()).not.toContain('inbox:pn-a')
      expect(await roomRow(a.storage.sql, 'inbox:pn-a')).toEqual(owned)
      expect(await a.server.relay.rules.sweep()).toBe(1)
      await until(() => getConversation(onA.doc, 'c-stale')?.status === 'done', 'closed by a')
    },
  )
})
