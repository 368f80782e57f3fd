/**
 * A relay stopped in the middle of a transaction (SIGSTOP, a hung host) must not hold its row
 * locks past its lease (docs/scale-out.md "Connections"): its connections run with
 * `idle_in_transaction_session_timeout` at half the lease, so the server ends such a transaction
 * and the relay taking the room over does not wait on it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../testing/postgres.ts'
import { createPostgresStorage, idleInTransactionMs, type PostgresStorage } from './postgres.ts'

const stores: PostgresStorage[] = []
afterAll(async () => {
  for (const s of stores) await s.close()
})

const LEASE_MS = 600

const open = async (url: string, relayId: string) => {
  const s = await createPostgresStorage({ url, relayId, leaseMs: LEASE_MS, max: 2 })
  stores.push(s)
  return s
}

describe('a transaction left idle on a relay’s connection', () => {
  it('is ended by the server at half the lease, releasing the room’s row for a takeover', async () => {
    const url = await createTestDatabase()
    const a = await open(url, 'a')
    const b = await open(url, 'b')
    const [setting] = await a.sql<{ value: string }[]>`
      select current_setting('idle_in_transaction_session_timeout') as value`
    expect(idleInTransactionMs(LEASE_MS)).toBe(300)
    expect(setting?.value).toBe('300ms')

    const room = 'inbox:idle'
    await a.loadRoom(room)
    let locked!: () => void
    const holding = new Promise<void>((resolve) => (locked = resolve))
    let tookOver!: () => void
    const takenOver = new Promise<void>((resolve) => (tookOver = resolve))
    // Relay a locks its room's row, then stops answering inside the transaction.
    const stalled = a.sql.begin(async (tx) => {
      await tx`select fence from room where room = ${room} for update`
      locked()
      await takenOver
      await tx`update room set last_seq = last_seq where room = ${room}`
    })
    stalled.catch(() => {})
    await holding
    // Relay b takes the room: without the timeout this waits on a's lock for as long as a stalls.
    await b.takeRoom!(room)
    tookOver()
    const [row] = await b.sql<{ owner: string; fence: string }[]>`
      select owner, fence from room where room = ${room}`
    expect(row).toEqual({ owner: 'b', fence: '2' })
    // a lost the transaction, never wrote under its old fence, and its pool serves again.
    await expect(stalled).rejects.toThrow()
    await expect(a.appendUpdate(room, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'fenced',
    })
    const [alive] = await a.sql<{ one: number }[]>`select 1 as one`
    expect(alive?.one).toBe(1)
  })
})
