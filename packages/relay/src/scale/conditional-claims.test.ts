/**
 * Conditional claims in the relay (docs/scale-out.md "Conditional claims", "What still takes
 * rooms"): two relays on one PostgreSQL database with live heartbeats. A socket that reaches a
 * relay for a room another live relay owns is never served there by claiming the room; the relay's
 * own writes that are not sent to the owner yet still take it.
 */
import { readActivityLog } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresStorage, type PostgresStorage } from '../storage/postgres.ts'
import {
  api,
  connectProvider,
  incoming,
  startTestRelay,
  until,
  type Client,
  type TestRelay,
} from '../test-helpers.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import { startRelayRegistry, type RelayRegistry } from './relay-registry.ts'

const relays: { server: TestRelay; registry: RelayRegistry }[] = []
const clients: Client[] = []
afterAll(async () => {
  for (const c of clients) c.destroy()
  for (const r of relays) {
    await r.registry.stop()
    await r.server.close()
  }
})

/** A registered relay that serves every socket itself (no routing): only the claim decides. */
async function unrouted(url: string, relayId: string) {
  const storage = await createPostgresStorage({ url, relayId, leaseMs: 60_000 })
  const server = await startTestRelay({ storage, relayId })
  const registry = await startRelayRegistry(storage.sql, {
    relayId,
    internalUrl: server.url,
    leaseMs: 60_000,
    heartbeatMs: 1000,
  })
  await storage.whenDurable()
  relays.push({ server, registry })
  return { server, storage }
}

const ownerOf = async (storage: PostgresStorage, room: string) => {
  const [row] = await storage.sql<{ owner: string; fence: string }[]>`
    select owner, fence from room where room = ${room}`
  return row ? { owner: row.owner, fence: Number(row.fence) } : null
}

describe('conditional claims in the relay', () => {
  it('a socket for a room a live relay owns is closed with 1012 (routed again), the owner keeps the room; an admin write there still takes it', async () => {
    const url = await createTestDatabase()
    const a = await unrouted(url, 'a')
    const b = await unrouted(url, 'b')
    const onA = connectProvider(
      a.server.wsUrl,
      'inbox:pn-a',
      await a.server.login('alice@example.com'),
    )
    clients.push(onA)
    await onA.synced
    const owned = await ownerOf(a.storage, 'inbox:pn-a')
    expect(owned?.owner).toBe('a')

    // b was not told to route: its load is refused, the socket is told to reconnect elsewhere.
    const onB = connectProvider(
      b.server.wsUrl,
      'inbox:pn-a',
      await b.server.login('carol@example.com'),
    )
    clients.push(onB)
    await until(() => onB.closes.some((c) => c.code === CloseCode.Reloading), '1012 on b')
    expect(onB.closes[0]).toEqual({
      code: CloseCode.Reloading,
      reason: 'room moved to another relay',
    })
    onB.destroy()
    expect(await ownerOf(a.storage, 'inbox:pn-a')).toEqual(owned)
    expect(b.server.relay.loadedRooms()).not.toContain('inbox:pn-a')

    // A write of b's own that is not sent to the owner yet takes the room (a newer fence).
    await b.server.relay.writeRoom('inbox:pn-a', () => {})
    expect(await ownerOf(a.storage, 'inbox:pn-a')).toEqual({ owner: 'b', fence: owned!.fence + 1 })
  })

  it('[W11] a reply sent through a relay that does not own the inbox reads its participant without taking the room, and reaches the inbox through its owner', async () => {
    const url = await createTestDatabase()
    const a = await unrouted(url, 'a')
    const b = await unrouted(url, 'b')
    const onA = connectProvider(
      a.server.wsUrl,
      'inbox:pn-a',
      await a.server.login('alice@example.com'),
    )
    clients.push(onA)
    await onA.synced
    await a.server.relay.ingest(incoming('c-reply', 'pn-a'))
    const owned = await ownerOf(a.storage, 'inbox:pn-a')
    await until(() => b.storage.getConversationPhoneNumber('c-reply') === 'pn-a', 'b to know it')

    const res = await api(b.server, '/api/outgoing', {
      token: await b.server.login('carol@example.com'),
      body: { conversationId: 'c-reply', phoneNumberId: 'pn-a', body: 'On its way' },
    })
    expect(res.status).toBe(202)
    const { activity } = (await res.json()) as { activity: { id: string; to: string } }
    expect(activity.to).toBe('+15555550123')
    await until(
      () => readActivityLog(onA.doc).some((e) => e.id === activity.id),
      'the reply in the inbox, applied by a',
    )
    expect(await ownerOf(a.storage, 'inbox:pn-a')).toEqual(owned)
    expect(b.server.relay.loadedRooms()).not.toContain('inbox:pn-a')
  })
})
