/**
 * [L8] The relay's own writes across relays on one PostgreSQL database (docs/scale-out.md "What
 * still takes rooms"): an admin change, a member's profile or an accepted invite posted to relay
 * B for the workspace relay A owns is made by A, asked over the relay link; a mute's mirror waits
 * in the inbound queue for the inbox's owner. Neither takes the room from A. An owner that does
 * not answer has the room taken, as before.
 */
import { listMutes, workspaceRoots } from '@switchboard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStorage } from '../storage/postgres.ts'
import { api, connectProvider, until, type Client } from '../test-helpers.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import { pgRelay, roomRow, stopPgRelays, type PgRelay } from './pg-relays.fixture.ts'
import { startRelayRegistry, type RelayRegistry } from './relay-registry.ts'

const clients: Client[] = []
const stops: (() => Promise<void>)[] = []
let url: string
let a: PgRelay
let b: PgRelay
/** Alice (owner) signed in on B, where every write of these tests is posted. */
let ownerOnB: string

beforeAll(async () => {
  url = await createTestDatabase()
  a = await pgRelay(url, 'a', 5000)
  b = await pgRelay(url, 'b', 5000)
  ownerOnB = await b.server.login('alice@example.com')
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  for (const stop of stops) await stop()
  await stopPgRelays()
})

/** A socket of `room` on A, which makes A its owner; with the room's row as A claimed it. */
async function ownedByA(room: string) {
  const token = await a.server.login('alice@example.com')
  const client = connectProvider(a.server.wsUrl, room, token)
  clients.push(client)
  await client.synced
  const row = await roomRow(a.storage.sql, room)
  expect(row?.owner).toBe('a')
  return { client, row: row! }
}

/** The room is still A's under the same fence, and B never loaded it. */
async function stillA(room: string, row: { owner: string; fence: string }) {
  expect(await roomRow(b.storage.sql, room)).toEqual(row)
  expect(b.server.relay.loadedRooms()).not.toContain(room)
}

describe('[L8] the relay’s own writes reach the room’s owner', () => {
  it(
    '[L8][S7] admin changes posted to B for the workspace A owns are made by A (A’s socket sees them live), the room keeps its owner and fence, B never loads it',
    { timeout: 30_000 },
    async () => {
      const { client, row } = await ownedByA('workspace')
      const members = workspaceRoots.members(client.doc)
      const numbers = workspaceRoots.phoneNumbers(client.doc)

      const created = await api(b.server, '/api/admin/members', {
        token: ownerOnB,
        body: { email: 'dan@example.com', name: 'Dan', role: 'member', password: 'long-enough-1' },
      })
      expect(created.status).toBe(201)
      const { member } = (await created.json()) as { member: { id: string } }
      await until(() => members.get(member.id)?.name === 'Dan', 'A’s socket to see Dan')

      const renamed = await api(b.server, '/api/admin/phone-numbers/pn-a', {
        method: 'PATCH',
        token: ownerOnB,
        body: { name: 'Front desk' },
      })
      expect(renamed.status).toBe(200)
      await until(() => numbers.get('pn-a')?.name === 'Front desk', 'A’s socket to see the name')

      const granted = await api(b.server, '/api/admin/access', {
        token: ownerOnB,
        body: { memberId: member.id, phoneNumberId: 'pn-a' },
      })
      expect(granted.status).toBe(200)
      const key = `${member.id}\u001fpn-a`
      await until(() => workspaceRoots.access(client.doc).has(key), 'A’s socket to see the grant')

      const removed = await api(b.server, `/api/admin/members/${member.id}`, {
        method: 'DELETE',
        token: ownerOnB,
      })
      expect(removed.status).toBe(200)
      await until(() => members.get(member.id)?.deactivated === true, 'A’s socket to see it')
      await stillA('workspace', row)
    },
  )

  it(
    '[L8][I3] a member’s own name (PATCH /api/me) and an accepted invite, posted to B, are made by A; the workspace stays A’s',
    { timeout: 30_000 },
    async () => {
      const { client, row } = await ownedByA('workspace')
      const members = workspaceRoots.members(client.doc)
      const carol = await b.server.login('carol@example.com')
      const me = await api(b.server, '/api/me', {
        method: 'PATCH',
        token: carol,
        body: { name: 'Carol B.' },
      })
      expect(me.status).toBe(200)
      await until(() => members.get('carol')?.name === 'Carol B.', 'A’s socket to see the name')

      const made = await api(b.server, '/api/admin/invites', {
        token: ownerOnB,
        body: { email: 'fay@example.com', role: 'member', phoneNumberIds: ['pn-b'] },
      })
      expect(made.status).toBe(201)
      const { url: link } = (await made.json()) as { url: string }
      const token = link.slice(link.lastIndexOf('/') + 1)
      const accepted = await api(b.server, `/api/invites/${token}/accept`, {
        body: { name: 'Fay', password: 'long-enough-2' },
      })
      expect(accepted.status).toBe(200)
      const { member } = (await accepted.json()) as { member: { id: string } }
      await until(() => members.get(member.id)?.name === 'Fay', 'A’s socket to see Fay')
      expect(workspaceRoots.access(client.doc).has(`${member.id}\u001fpn-b`)).toBe(true)
      await stillA('workspace', row)
    },
  )

  it(
    '[L8][F6] a mute posted to B for an inbox A owns is mirrored by A (through the inbound queue); the inbox stays A’s',
    { timeout: 30_000 },
    async () => {
      const { client, row } = await ownedByA('inbox:pn-a')
      const muted = await api(b.server, '/api/phone-numbers/pn-a/mutes', {
        token: ownerOnB,
        body: { pattern: '+14155550111' },
      })
      expect(muted.status).toBe(201)
      const { mute } = (await muted.json()) as { mute: { id: string } }
      await until(
        () => listMutes(client.doc).some((m) => m.id === mute.id),
        'A’s socket to see the mute',
      )
      const unmuted = await api(b.server, `/api/phone-numbers/pn-a/mutes/${mute.id}`, {
        method: 'DELETE',
        token: ownerOnB,
      })
      expect(unmuted.status).toBe(200)
      await until(() => listMutes(client.doc).length === 0, 'A’s socket to see the unmute')
      await stillA('inbox:pn-a', row)
    },
  )

  it(
    '[L8] an owner that does not answer (its link refused): B takes the room (fence + 1) and makes the write',
    { timeout: 30_000 },
    async () => {
      // Relay c is alive in the registry and holds the workspace, but nothing listens at its URL.
      const c = await createPostgresStorage({ url, relayId: 'c', leaseMs: 5000 })
      const registry: RelayRegistry = await startRelayRegistry(c.sql, {
        relayId: 'c',
        internalUrl: 'http://127.0.0.1:9',
        leaseMs: 5000,
        heartbeatMs: 1250,
      })
      stops.push(async () => {
        await registry.stop()
        await c.close()
      })
      await c.takeRoom!('workspace')
      const before = await roomRow(b.storage.sql, 'workspace')
      expect(before?.owner).toBe('c')

      const renamed = await api(b.server, '/api/admin/phone-numbers/pn-b', {
        method: 'PATCH',
        token: ownerOnB,
        body: { name: 'Sales floor' },
      })
      expect(renamed.status).toBe(200)
      const after = await roomRow(b.storage.sql, 'workspace')
      expect(after).toEqual({ owner: 'b', fence: String(Number(before!.fence) + 1) })
      let name: string | undefined
      await b.server.relay.writeRoom('workspace', (doc) => {
        name = workspaceRoots.phoneNumbers(doc).get('pn-b')?.name
      })
      expect(name).toBe('Sales floor')
    },
  )
})
