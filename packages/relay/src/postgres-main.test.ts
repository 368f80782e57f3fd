/**
 * The relay as operators run it on PostgreSQL (`DATABASE_URL`, docs/scale-out.md): what it
 * refuses to start with, the demo seeded once by relays starting together, and what a relay
 * stored read back by the next one.
 */
import { conversationIds, getConversation, markConversation } from '@switchboard/core'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RelayServer } from './node/server.ts'
import { main } from './main.ts'
import { author, connectProvider, trackAcks, until } from './test-helpers.ts'
import { createTestDatabase, startTestPostgres } from './testing/postgres.ts'

const env = (url: string, relayId: string) => ({
  DATABASE_URL: url,
  RELAY_ID: relayId,
  SWITCHBOARD_SECRET: 'pg-main-test-secret-0123456789abcdef',
  WEBHOOK_SECRET: 'pg-main-test-webhook',
  SWITCHBOARD_DEMO_PASSWORD: 'demo-pw',
  PORT: '0',
  DATA_DIR: mkdtempSync(join(tmpdir(), `pg-main-${relayId}-`)),
})

async function login(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'demo-pw' }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

const wsUrl = (srv: RelayServer) => `ws://${new URL(srv.url).host}/sync`

describe('a relay on PostgreSQL', () => {
  const running: RelayServer[] = []
  afterAll(async () => {
    for (const srv of running) await srv.close().catch(() => {})
  })

  it('refuses to start without the shared secrets, naming them, before it touches the database', async () => {
    const {
      SWITCHBOARD_SECRET: _s,
      WEBHOOK_SECRET: _w,
      ...rest
    } = env('postgres://nobody@127.0.0.1:1/none', 'a')
    await expect(main(rest)).rejects.toThrow(
      'DATABASE_URL is set, so SWITCHBOARD_SECRET and WEBHOOK_SECRET must be set too, the same on every relay sharing the database',
    )
  })

  it(
    'relays starting together on an empty database seed the demo once; what one stored, the next reads back',
    { timeout: 120_000 },
    async () => {
      const url = await createTestDatabase()
      const [a, b] = await Promise.all([main(env(url, 'a')), main(env(url, 'b'))])
      running.push(a, b)
      expect(a.relay.storage.listMembers()).toHaveLength(5)
      await until(() => b.relay.storage.listMembers().length === 5, 'b to see the members')

      const token = await login(a.url, 'alice@example.com')
      const inbox = connectProvider(wsUrl(a), 'inbox:pn-support', token, { ack: '1' })
      const acks = trackAcks(inbox)
      await inbox.synced
      const ids = conversationIds(inbox.doc)
      expect(ids.length).toBeGreaterThan(50)
      markConversation(inbox.doc, ids[0]!, 'done', author('alice', 'pg-laptop'))
      await acks.acked()
      inbox.destroy()
      await a.close()
      await b.close()

      const c = await main(env(url, 'c'))
      running.push(c)
      const again = connectProvider(
        wsUrl(c),
        'inbox:pn-support',
        await login(c.url, 'alice@example.com'),
      )
      await again.synced
      expect(conversationIds(again.doc).sort()).toEqual([...ids].sort())
      const status = again.doc.toJSON()
      expect(JSON.stringify(status)).toContain('pg-laptop')
      again.destroy()
    },
  )

  it(
    'a room owned by one relay is served to a socket on the other through the relay link, and by the other once the owner stops',
    { timeout: 120_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await main(env(url, 'a'))
      const b = await main(env(url, 'b'))
      running.push(a, b)
      const onA = connectProvider(
        wsUrl(a),
        'inbox:pn-support',
        await login(a.url, 'alice@example.com'),
      )
      await onA.synced
      const ids = conversationIds(onA.doc)
      // Carol's socket reaches b; a owns the room (it loaded it first): b proxies her to a.
      const onB = connectProvider(
        wsUrl(b),
        'inbox:pn-support',
        await login(b.url, 'carol@example.com'),
        {
          ack: '1',
        },
      )
      const acks = trackAcks(onB)
      await onB.synced
      expect(b.relay.loadedRooms()).not.toContain('inbox:pn-support')
      markConversation(onA.doc, ids[1]!, 'done', author('alice', 'route-a'))
      await until(
        () => getConversation(onB.doc, ids[1]!)?.status === 'done',
        'carol sees Alice’s Done',
      )
      markConversation(onB.doc, ids[2]!, 'unread', author('carol', 'route-b'))
      await acks.acked()
      await until(
        () => getConversation(onA.doc, ids[2]!)?.unread === true,
        'alice sees Carol’s Unread',
      )
      onA.destroy()

      // a stops (its lease given up): Carol's socket is closed, reconnects to b, and b serves the room.
      await a.close()
      await until(
        () => b.relay.loadedRooms().includes('inbox:pn-support'),
        'b to serve the room',
        20_000,
      )
      markConversation(onB.doc, ids[3]!, 'done', author('carol', 'route-b'))
      await acks.acked()
      onB.destroy()
    },
  )

  it(
    'refuses a server that runs with fsync off, naming the setting',
    { timeout: 60_000 },
    async () => {
      const pg = await startTestPostgres({ settings: { fsync: 'off' } })
      try {
        await expect(main(env(await pg.createDatabase(), 'a'))).rejects.toThrow(/fsync/)
      } finally {
        await pg.destroy()
      }
    },
  )
})
