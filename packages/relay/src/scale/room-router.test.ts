/**
 * Routing a room's sockets on PostgreSQL (scale/room-router.ts, docs/scale-out.md "Routing"): a
 * room another live relay owns goes there; one this relay has in memory or is loading is served
 * here without asking PostgreSQL (the sockets arriving together after a drain).
 */
import { describe, expect, it } from 'vitest'
import type { Sql } from '../storage/postgres-connect.ts'
import { createRoomRouter } from './room-router.ts'

/** A `sql` tag answering every query with `row`, counting the queries. */
function fakeSql(row: { owner: string | null; url: string | null; alive: boolean | null }) {
  const asked = { count: 0 }
  const sql = (() => {
    asked.count++
    return Promise.resolve([row])
  }) as unknown as Sql
  return { sql, asked }
}

describe('routing a room’s sockets', () => {
  it('[L7] sends a socket to the live relay that owns the room', async () => {
    const { sql, asked } = fakeSql({ owner: 'b', url: 'http://b', alive: true })
    const route = createRoomRouter(sql, 'a', 5000, () => false)
    expect(await route('inbox:pn-a')).toEqual({ relayId: 'b', url: 'http://b' })
    expect(asked.count).toBe(1)
  })

  it('[L7] serves a room it has in memory or is loading without asking PostgreSQL', async () => {
    const { sql, asked } = fakeSql({ owner: 'b', url: 'http://b', alive: true })
    const here = new Set(['inbox:pn-a'])
    const route = createRoomRouter(sql, 'a', 5000, (room) => here.has(room))
    expect(await route('inbox:pn-a')).toBe('self')
    expect(asked.count).toBe(0)
    expect(await route('inbox:pn-b')).toEqual({ relayId: 'b', url: 'http://b' })
    expect(asked.count).toBe(1)
  })
})
