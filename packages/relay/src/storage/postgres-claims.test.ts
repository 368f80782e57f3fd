/**
 * Conditional claims on PostgreSQL (docs/scale-out.md "Conditional claims"): loading a room takes
 * it only when it has no owner, the owner is this relay, or the owner's heartbeat is older than
 * the lease; `takeRoom` takes it all the same (the relay's writes not sent to the owner yet).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../testing/postgres.ts'
import { createPostgresStorage, type PostgresStorage } from './postgres.ts'

const stores: PostgresStorage[] = []
afterAll(async () => {
  for (const s of stores) await s.close()
})

const open = async (url: string, relayId: string) => {
  const s = await createPostgresStorage({ url, relayId, leaseMs: 60_000, max: 2 })
  stores.push(s)
  return s
}

const owner = async (s: PostgresStorage, room: string) => {
  const [row] = await s.sql<{ owner: string; fence: string }[]>`
    select owner, fence from room where room = ${room}`
  return row ? { owner: row.owner, fence: Number(row.fence) } : null
}

describe('conditional claims', () => {
  it('a room is loaded elsewhere only once its owner’s lease lapsed; a refused load claims nothing; takeRoom takes it from a live owner', async () => {
    const url = await createTestDatabase()
    const a = await open(url, 'a')
    const b = await open(url, 'b')
    await a.sql`insert into relays (id, url, heartbeat) values
      ('a', 'http://a', now()), ('b', 'http://b', now())`
    const room = 'inbox:claims'

    await a.loadRoom(room)
    expect(await owner(a, room)).toEqual({ owner: 'a', fence: 1 })
    await a.appendUpdate(room, new Uint8Array([1]))
    // a is alive: b's load is refused with `owned`, and a keeps its fence and its appends.
    await expect(b.loadRoom(room)).rejects.toMatchObject({ code: 'owned' })
    await expect(b.appendUpdate(room, new Uint8Array([9]))).rejects.toMatchObject({
      code: 'fenced',
    })
    expect(await owner(a, room)).toEqual({ owner: 'a', fence: 1 })
    await a.appendUpdate(room, new Uint8Array([2]))
    expect((await a.loadRoom(room)).updates.map((u) => [...u.data])).toEqual([[1], [2]])

    // a's heartbeat is older than the lease: b's load claims the room, a's appends are refused.
    await a.sql`update relays set heartbeat = now() - interval '2 minutes' where id = 'a'`
    const seen = await b.loadRoom(room)
    expect(seen.updates.map((u) => [...u.data])).toEqual([[1], [2]])
    const taken = await owner(b, room)
    expect(taken?.owner).toBe('b')
    await expect(a.appendUpdate(room, new Uint8Array([3]))).rejects.toMatchObject({
      code: 'fenced',
    })

    // b is alive; a takes the room all the same with takeRoom (a newer fence), then loads it.
    await a.sql`update relays set heartbeat = now() where id = 'a'`
    await expect(a.loadRoom(room)).rejects.toMatchObject({ code: 'owned' })
    await a.takeRoom!(room)
    expect(await owner(a, room)).toEqual({ owner: 'a', fence: taken!.fence + 1 })
    await a.loadRoom(room)
    await a.appendUpdate(room, new Uint8Array([4]))
    await expect(b.appendUpdate(room, new Uint8Array([5]))).rejects.toMatchObject({
      code: 'fenced',
    })
    expect((await a.loadRoom(room)).updates.map((u) => [...u.data])).toEqual([[1], [2], [4]])

    // A relay with no heartbeat row (never registered) owns nothing: its room is claimed.
    const lone = 'inbox:unregistered'
    const c = await open(url, 'c')
    await c.loadRoom(lone)
    await b.loadRoom(lone)
    expect((await owner(b, lone))?.owner).toBe('b')
  })
})
