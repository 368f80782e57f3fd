/**
 * [L8] The relay's own writes across relays on one PostgreSQL database (docs/scale-out.md "What
 * still takes rooms"): an admin change, a member's profile or an accepted invite posted to relay
 * B for the workspace relay A owns is made by A, asked over the relay link, and so are the reports
 * of B's outbox sender, a restore and an epoch; a mute's mirror waits in the inbound queue for the
 * inbox's owner. None takes the room from A. An owner that does not answer has the room taken,
 * as before.
 */
import { deliveryOf, listMutes, readActivityLog, workspaceRoots } from '@switchboard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startFakeProvider, type FakeProvider } from '../providers/fake-provider.ts'
import * as tw from '../providers/fixtures/twilio-send.ts'
import type { ProviderAccount } from '../providers/provider-account.ts'
import { TWILIO } from '../providers/test-credentials.ts'
import { createPostgresStorage } from '../storage/postgres.ts'
import { SECRET, api, connectProvider, incoming, until, type Client } from '../test-helpers.ts'
import { createTestDatabase } from '../testing/postgres.ts'
import { deriveLinkKey, LINK_PATH, signLinkHeaders } from './link-auth.ts'
import {
  decodeAnswer,
  decodeLinkFrame,
  encodeRequest,
  type OwnerAnswer,
  type OwnerRequest,
} from './link-frame.ts'
import { pgRelay, roomRow, stopPgRelays, type PgRelay } from './pg-relays.fixture.ts'
import { startRelayRegistry, type RelayRegistry } from './relay-registry.ts'

const NUMBER = '+14155550142'
const CONTACT = '+14155550199'
const ACCOUNTS: Record<string, ProviderAccount> = {
  'pn-a': { provider: 'twilio', phoneNumberId: 'pn-a', number: NUMBER, credentials: TWILIO },
}
const SID = 'SM00000000000000000000000000000042'

const clients: Client[] = []
const stops: (() => Promise<void>)[] = []
let url: string
let a: PgRelay
let b: PgRelay
/** Twilio as B reaches it: every message taken, as `SID`. */
let twilio: FakeProvider
/** Alice (owner) signed in on B, where every write of these tests is posted. */
let ownerOnB: string

beforeAll(async () => {
  twilio = await startFakeProvider(() => ({
    status: 201,
    body: tw.createdMessage(SID, NUMBER, CONTACT, 'On its way'),
  }))
  const providerAccounts = { get: (id: string) => ACCOUNTS[id] ?? null }
  url = await createTestDatabase()
  // A's outbox sender never polls in these tests: B's sends each reply, woken by its post.
  a = await pgRelay(url, 'a', 5000, { providerAccounts, outboxTiming: { pollMs: 3_600_000 } })
  b = await pgRelay(url, 'b', 5000, {
    providerAccounts,
    providerApiBases: { twilio: twilio.url },
    outboxTiming: { pollMs: 3_600_000 },
  })
  ownerOnB = await b.server.login('alice@example.com')
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  for (const stop of stops) await stop()
  await stopPgRelays()
  await twilio.close()
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
    '[L8][O6] the outbox sender of B reports its send (Sent with the message id, the reply into the inbox) through A, which keeps both rooms; the outbox row is settled after',
    { timeout: 30_000 },
    async () => {
      a.storage.putPhoneNumber({ id: 'pn-a', name: 'Support', number: NUMBER, provider: 'twilio' })
      await a.server.relay.ingest(incoming('c-out', 'pn-a', { from: CONTACT }))
      const { client: inbox, row: inboxRow } = await ownedByA('inbox:pn-a')
      const { client: conversation, row } = await ownedByA('conversation:c-out')
      await a.storage.whenDurable()
      await until(
        () =>
          b.storage.getConversationPhoneNumber('c-out') === 'pn-a' &&
          b.storage.getPhoneNumber('pn-a')?.provider === 'twilio',
        'b to know the conversation and the number',
      )
      const res = await api(b.server, '/api/outgoing', {
        token: ownerOnB,
        body: { conversationId: 'c-out', phoneNumberId: 'pn-a', body: 'On its way' },
      })
      expect(res.status).toBe(202)
      const { activityId } = (await res.json()) as { activityId: string }
      await until(
        () => deliveryOf(conversation.doc, activityId)?.state === 'sent',
        'A’s socket to see the reply Sent',
      )
      expect(deliveryOf(conversation.doc, activityId)?.providerMessageId).toBe(SID)
      await until(
        () => readActivityLog(inbox.doc).some((e) => e.id === activityId),
        'A’s inbox socket to see the reply',
      )
      // Settled with the message id, which the provider's later callbacks are matched by.
      await until(
        () => b.storage.outgoingByProviderId('twilio', SID)?.activityId === activityId,
        'the outbox row settled',
      )
      await stillA('conversation:c-out', row)
      await stillA('inbox:pn-a', inboxRow)
    },
  )

  it(
    '[L8][T1] a restore and an epoch posted to B for an inbox A owns are run by A and answered through B; a refusal keeps its status and field',
    { timeout: 30_000 },
    async () => {
      const { row } = await ownedByA('inbox:pn-b')
      const restored = await api(b.server, '/api/admin/restore', {
        token: ownerOnB,
        body: { room: 'inbox:pn-b', at: Date.now() - 60_000 },
      })
      expect(restored.status).toBe(200)
      expect(await restored.json()).toMatchObject({ room: 'inbox:pn-b', by: 'alice' })
      const refused = await api(b.server, '/api/admin/restore', {
        token: ownerOnB,
        body: { room: 'inbox:pn-b', at: 'yesterday-ish' },
      })
      expect(refused.status).toBe(400)
      expect(await refused.json()).toMatchObject({ field: 'at' })
      await stillA('inbox:pn-b', row)

      const epoch = await api(b.server, '/api/admin/rooms/inbox:pn-b/epoch', {
        token: ownerOnB,
        body: {},
      })
      expect(epoch.status).toBe(200)
      expect(await epoch.json()).toMatchObject({ room: 'inbox:pn-b' })
      await stillA('inbox:pn-b', row)
    },
  )

  it(
    '[L8] a request the owner does not know, or whose data fails its checks, is refused and writes nothing',
    { timeout: 30_000 },
    async () => {
      const { client, row } = await ownedByA('workspace')
      const link = new WebSocket(a.server.url.replace(/^http/, 'ws') + LINK_PATH, {
        headers: signLinkHeaders(deriveLinkKey(SECRET), 'mallory', Date.now()),
      })
      const answers = new Map<number, OwnerAnswer | null>()
      link.on('message', (data: Buffer) => {
        const frame = decodeLinkFrame(data)
        if (frame) answers.set(frame.stream, decodeAnswer(frame.payload))
      })
      await new Promise((resolve) => link.once('open', resolve))
      const forged = { id: 'mallory', email: 'm@example.com', name: 'Mallory' }
      const requests: OwnerRequest[] = [
        { room: 'workspace', op: 'eval', args: 'process.exit()' },
        {
          room: 'workspace',
          op: 'workspace',
          args: [{ op: 'member', member: { ...forged, role: 'god' } }],
        },
        {
          room: 'inbox:pn-a',
          op: 'workspace',
          args: [{ op: 'member', member: { ...forged, role: 'owner' } }],
        },
        { room: 'workspace', op: 'accepted', args: { id: 'x' } },
      ]
      requests.forEach((r, i) => link.send(encodeRequest(i + 1, r)))
      await until(() => answers.size === requests.length, 'every answer')
      for (const answer of answers.values())
        expect(answer).toMatchObject({ ok: false, error: 'refused' })
      link.close()
      expect(workspaceRoots.members(client.doc).has('mallory')).toBe(false)
      expect(await roomRow(a.storage.sql, 'workspace')).toEqual(row)
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
