/**
 * [W6][W11] The inbound queue on PostgreSQL (docs/scale-out.md "Webhooks across relays"): each
 * (activity, room) once, whichever relay puts it in and however often; rows in arrival order; the
 * rooms that wait for this relay; notices batched, never one per webhook.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { until } from '../test-helpers.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import type { InboundStore } from './inbound-store.ts'
import { connectPostgres, type Sql } from './postgres-connect.ts'
import { createPostgresInbound, INBOUND_CHANNEL } from './postgres-inbound.ts'
import { migrateRoomLog } from './postgres-log-schema.ts'

const pools: Sql[] = []
afterAll(async () => {
  for (const sql of pools) await sql.end()
})

async function open(url: string, relayId: string): Promise<{ sql: Sql; inbound: InboundStore }> {
  const sql = connectPostgres(url, { max: 2 })
  pools.push(sql)
  await migrateRoomLog(sql)
  return { sql, inbound: await createPostgresInbound(sql, { relayId, leaseMs: 60_000 }) }
}

const item = (eventId: string, rooms = [`inbox:pn`, `conversation:${eventId}`]) => ({
  provider: 'generic',
  eventId,
  payload: JSON.stringify({ id: eventId }),
  rooms,
})

describe('[W11] the inbound queue on PostgreSQL', () => {
  it('[W6] two relays taking in the same deliveries in opposite orders at once both succeed (a deadlock is retried, not thrown)', async () => {
    const url = await createTestDatabase()
    const setup = connectPostgres(url, { max: 1 })
    pools.push(setup)
    // Detected at once rather than after a second: the test stays short either way.
    await setup.unsafe(
      `alter database "${new URL(url).pathname.slice(1)}" set deadlock_timeout = '20ms'`,
    )
    const a = await open(url, 'a')
    const b = await open(url, 'b')
    const items = Array.from({ length: 400 }, (_, i) => item(`d${i}`))
    for (let round = 0; round < 3; round++) {
      const tagged = items.map((it) => ({ ...it, eventId: `${it.eventId}-${round}` }))
      const [fromA, fromB] = await Promise.all([
        a.inbound.enqueue(tagged),
        b.inbound.enqueue([...tagged].reverse()),
      ])
      expect(fromA.size + fromB.size).toBe(400)
    }
  })

  it('[W11] rows of one delivery come out in the order given, whatever their ids sort as', async () => {
    const url = await createTestDatabase()
    const a = await open(url, 'a')
    const given = ['zulu', 'alpha', 'mike', 'bravo']
    expect(await a.inbound.enqueue(given.map((id) => item(id)))).toEqual(new Set(given))
    expect((await a.inbound.pending('inbox:pn', 10)).map((r) => r.eventId)).toEqual(given)
  })

  it('[W6] an activity put in by two relays, at once and again, is one row per room; rows come out in arrival order until marked done', async () => {
    const url = await createTestDatabase()
    const a = await open(url, 'a')
    const b = await open(url, 'b')
    const [fromA, fromB] = await Promise.all([
      a.inbound.enqueue([item('e1'), item('e2')]),
      b.inbound.enqueue([item('e2'), item('e3')]),
    ])
    // e2 is new for exactly one of them.
    expect([...fromA, ...fromB].sort()).toEqual(['e1', 'e2', 'e3'])
    expect(await a.inbound.enqueue([item('e1'), item('e3')])).toEqual(new Set())
    const pending = await b.inbound.pending('inbox:pn', 10)
    expect(pending.map((r) => r.eventId).sort()).toEqual(['e1', 'e2', 'e3'])
    expect(pending.map((r) => Number(r.id))).toEqual(
      pending.map((r) => Number(r.id)).sort((x, y) => x - y),
    )
    expect(JSON.parse(pending[0]!.payload)).toEqual({ id: pending[0]!.eventId })

    // Nobody owns the rooms: both relays see them waiting.
    expect((await a.inbound.waiting()).map((w) => w.room).sort()).toEqual([
      'conversation:e1',
      'conversation:e2',
      'conversation:e3',
      'inbox:pn',
    ])
    await a.inbound.markDone(pending.slice(0, 2).map((r) => r.id))
    expect((await a.inbound.pending('inbox:pn', 10)).map((r) => r.id)).toEqual([pending[2]!.id])

    // a owns the inbox and is alive: b no longer sees it waiting, and learns its owner.
    await a.sql`insert into relays (id, url, heartbeat) values ('a', 'http://a', now())`
    await a.sql`insert into room (room, owner, fence) values ('inbox:pn', 'a', 1)`
    expect(await b.inbound.liveOwner('inbox:pn')).toBe('a')
    expect(await a.inbound.liveOwner('inbox:pn')).toBeNull()
    expect((await b.inbound.waiting()).map((w) => w.room)).not.toContain('inbox:pn')
    expect(await a.inbound.waiting()).toContainEqual({ room: 'inbox:pn', mine: true })

    // Rows applied long ago are pruned; rows waiting never are.
    await a.inbound.markDone([pending[2]!.id])
    await a.sql`update inbound set done_at = now() - interval '8 days' where id = ${pending[0]!.id}`
    expect(await a.inbound.prune(7 * 86_400_000)).toBe(1)
    expect(await a.inbound.prune(0)).toBe(2)
    expect(await a.inbound.pending('inbox:pn', 10)).toEqual([])
    expect((await a.inbound.waiting()).map((w) => w.room).sort()).toEqual([
      'conversation:e1',
      'conversation:e2',
      'conversation:e3',
    ])
  })

  it('a burst of 300 notices for three rooms is one NOTIFY naming each room once, heard only by the relay it is for', async () => {
    const url = await createTestDatabase()
    const a = await open(url, 'a')
    const b = await open(url, 'b')
    const heard: string[][] = []
    const unlisten = await b.inbound.listen(
      (rooms) => heard.push(rooms),
      () => {},
    )
    let sent = 0
    const counting = await a.sql.listen(INBOUND_CHANNEL, () => sent++)
    for (let i = 0; i < 300; i++) a.inbound.notify('b', `inbox:r${i % 3}`)
    a.inbound.notify('c', 'inbox:elsewhere')
    await a.inbound.close()
    // Notices arrive in commit order: once this one is heard, every earlier one was.
    await a.sql.notify(INBOUND_CHANNEL, JSON.stringify({ to: 'b', rooms: ['sentinel'] }))
    await until(() => heard.some((rooms) => rooms.includes('sentinel')), 'the sentinel')
    expect(heard).toEqual([['inbox:r0', 'inbox:r1', 'inbox:r2'], ['sentinel']])
    // One statement for b's rooms, one for c's, and the sentinel.
    await until(() => sent === 3, 'three notices on the channel')
    await unlisten()
    await counting.unlisten()
  })
})
