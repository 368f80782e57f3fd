/**
 * [O8][W10][W11] Provider reports across relays on one PostgreSQL database (docs/scale-out.md
 * "Webhooks across relays"): a delivery report or a call's details posted to any relay is queued
 * for the conversation's owner, applied there once, and never takes the room from it.
 */
import {
  appendActivity,
  callDetailsOf,
  deliveryOf,
  listActivities,
  readActivityLog,
  setDelivery,
  type Activity,
} from '@switchboard/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeProvider, type FakeProvider } from '../providers/fake-provider.ts'
import { twilioRequest, quoAppHeaders } from '../providers/fixtures/sign.ts'
import * as tw from '../providers/fixtures/twilio-send.ts'
import type { ProviderAccount } from '../providers/provider-account.ts'
import { providerActivityId } from '../providers/provider-activity.ts'
import { QUO, TWILIO } from '../providers/test-credentials.ts'
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

const PUBLIC_URL = 'https://relay.example.com/switchboard'
const NUMBER = '+14155550142'
const CONTACT = '+14155550199'
/** pn-a through Twilio, pn-b through Quo, the same on every relay. */
const ACCOUNTS: Record<string, ProviderAccount> = {
  'pn-a': { provider: 'twilio', phoneNumberId: 'pn-a', number: NUMBER, credentials: TWILIO },
  'pn-b': { provider: 'quo', phoneNumberId: 'pn-b', number: '+14155550100', credentials: QUO },
}

const relays: { server: TestRelay; registry: RelayRegistry }[] = []
const clients: Client[] = []
let provider: FakeProvider
beforeAll(async () => {
  provider = await startFakeProvider(() => ({ status: 503 }))
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  for (const r of relays) {
    await r.registry.stop()
    await r.server.close()
  }
  await provider.close()
})

/** A registered relay that serves every socket itself: only the claims decide who owns a room. */
async function relay(url: string, relayId: string) {
  const storage = await createPostgresStorage({ url, relayId, leaseMs: 60_000 })
  const server = await startTestRelay({
    storage,
    relayId,
    publicUrl: PUBLIC_URL,
    providerAccounts: { get: (id) => ACCOUNTS[id] ?? null },
    // Every send answered 503: retried later, writing no document [O2].
    providerApiBases: { twilio: provider.url, telnyx: provider.url, quo: provider.url },
  })
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
type Relay = Awaited<ReturnType<typeof relay>>

const ownerOf = async (storage: PostgresStorage, room: string) => {
  const [row] = await storage.sql<{ owner: string; fence: string }[]>`
    select owner, fence from room where room = ${room}`
  return row ? { owner: row.owner, fence: Number(row.fence) } : null
}
const rows = async (storage: PostgresStorage, eventId: string) => {
  const [row] = await storage.sql<{ n: number }[]>`
    select count(*)::int as n from inbound where event_id = ${eventId}`
  return row!.n
}

/** A client of `room` on `r` (its socket makes `r` the room's owner). */
async function open(r: Relay, token: string, room: string) {
  const client = connectProvider(r.server.wsUrl, room, token)
  clients.push(client)
  await client.synced
  return client
}

let seq = 0
/** A reply of pn-a that Twilio took as `sid`: in the conversation (Sent) and the outbox, on `a`. */
async function reply(a: Relay, b: Relay, conversationId: string, sid: string) {
  const at = Date.now()
  const activity: Activity = {
    id: `out-${process.pid}-${++seq}`,
    conversationId,
    phoneNumberId: 'pn-a',
    direction: 'outgoing',
    kind: 'message',
    from: 'alice',
    to: CONTACT,
    body: 'On its way',
    at,
  }
  await a.server.relay.writeRoom(`conversation:${conversationId}`, (doc) => {
    appendActivity(doc, activity)
    setDelivery(doc, activity.id, { state: 'sent', attempt: 1, at, providerMessageId: sid })
  })
  // Due in an hour: neither relay's outbox sender sends it; it is Sent as if one had.
  const { id: activityId } = activity
  a.storage.enqueueOutgoing(
    {
      activityId,
      attempt: 1,
      phoneNumberId: 'pn-a',
      conversationId,
      memberId: 'alice',
      provider: 'twilio',
      from: NUMBER,
      to: CONTACT,
      body: activity.body!,
      createdAt: at,
    },
    at + 3_600_000,
  )
  a.storage.startOutgoing(activityId, 1, at)
  a.storage.settleOutgoing(activityId, 1, 'sent', { providerMessageId: sid })
  await a.storage.whenDurable()
  await until(() => b.storage.outgoingByProviderId('twilio', sid) !== null, 'b to know the reply')
  return activity
}

/** Twilio's status callback of `sid`, signed over the public URL, posted to `r`. */
async function statusCallback(r: Relay, sid: string, status: string) {
  const path = '/api/webhooks/twilio/pn-a/status'
  const req = twilioRequest(TWILIO.authToken, PUBLIC_URL + path, tw.statusCallback(sid, status))
  const res = await fetch(r.server.url + path, {
    method: 'POST',
    headers: req.headers,
    body: req.body,
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const times = (doc: Client['doc'], id: string) =>
  readActivityLog(doc).filter((e) => e.id === id).length

describe('[W11] provider reports across relays', () => {
  it(
    '[O8][W11] a Twilio status callback posted to relay B for a conversation A owns turns the reply Delivered through A, which keeps the room; posted to both at once it is applied once',
    { timeout: 30_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await relay(url, 'a')
      const b = await relay(url, 'b')
      const token = await a.server.login('alice@example.com')
      // Taken in by a, which claims the conversation and the inbox (they had no owner).
      await a.server.relay.ingest(incoming('c-report', 'pn-a'))
      const conversation = await open(a, token, 'conversation:c-report')
      const inbox = await open(a, token, 'inbox:pn-a')
      const owned = await ownerOf(a.storage, 'conversation:c-report')
      const ownedInbox = await ownerOf(a.storage, 'inbox:pn-a')
      expect(owned?.owner).toBe('a')
      expect(ownedInbox?.owner).toBe('a')
      const first = await reply(a, b, 'c-report', 'SM0000000000000000000000000000dr01')
      expect(await statusCallback(b, 'SM0000000000000000000000000000dr01', 'delivered')).toEqual({
        status: 200,
        body: { delivery: 'delivered' },
      })
      await until(
        () => deliveryOf(conversation.doc, first.id)?.state === 'delivered',
        'a to apply the report (Alice sees Delivered)',
      )
      // [O6] Taken by the provider: the reply reaches the inbox once, through its owner too.
      await until(() => times(inbox.doc, first.id) === 1, 'the reply in the inbox')
      expect(await ownerOf(a.storage, 'conversation:c-report')).toEqual(owned)
      expect(await ownerOf(a.storage, 'inbox:pn-a')).toEqual(ownedInbox)
      expect(b.server.relay.loadedRooms()).not.toContain('conversation:c-report')
      expect(b.server.relay.loadedRooms()).not.toContain('inbox:pn-a')
      await until(() => a.storage.getOutgoing(first.id)?.outcome === 'delivered', 'outbox settled')

      // The same callback posted to both relays at once: one row, the delivery as it was.
      const delivered = deliveryOf(conversation.doc, first.id)
      const again = await Promise.all(
        [a, b].map((r) => statusCallback(r, 'SM0000000000000000000000000000dr01', 'delivered')),
      )
      expect(again.map((r) => r.status)).toEqual([200, 200])
      expect(
        await rows(a.storage, 'delivery:twilio:delivered:SM0000000000000000000000000000dr01'),
      ).toBe(1)
      expect(deliveryOf(conversation.doc, first.id)).toEqual(delivered)

      // A second reply's first Delivered reaches both relays at once: queued and applied once.
      const second = await reply(a, b, 'c-report', 'SM0000000000000000000000000000dr02')
      const both = await Promise.all(
        [a, b].map((r) => statusCallback(r, 'SM0000000000000000000000000000dr02', 'delivered')),
      )
      expect(both.map((r) => r.status)).toEqual([200, 200])
      await until(() => deliveryOf(conversation.doc, second.id)?.state === 'delivered', 'second')
      await until(() => times(inbox.doc, second.id) === 1, 'the second reply in the inbox')
      expect(
        await rows(a.storage, 'delivery:twilio:delivered:SM0000000000000000000000000000dr02'),
      ).toBe(1)
      expect(await rows(a.storage, `accepted:${second.id}`)).toBe(2) // its conversation and inbox
      expect(times(inbox.doc, second.id)).toBe(1)
      expect(await ownerOf(a.storage, 'conversation:c-report')).toEqual(owned)
      expect(b.server.relay.loadedRooms()).not.toContain('conversation:c-report')
    },
  )

  it(
    '[W10][W11] a Quo call summary posted to relay B for a conversation A owns is filed beside the call by A, which keeps the room; a repeat is a duplicate',
    { timeout: 30_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await relay(url, 'a')
      const b = await relay(url, 'b')
      const token = await a.server.login('alice@example.com')
      await a.server.relay.ingest(incoming('c-call', 'pn-b', { to: '+14155550100' }))
      const conversation = await open(a, token, 'conversation:c-call')
      const owned = await ownerOf(a.storage, 'conversation:c-call')
      const callId = 'AC0000000000000000000000000000call1'
      const activityId = providerActivityId('quo', 'call', callId)
      a.storage.putProviderCall({
        callKey: activityId,
        phoneNumberId: 'pn-b',
        conversationId: 'c-call',
        activityId,
      })
      await a.storage.whenDurable()
      await until(() => b.storage.getProviderCall(activityId) !== null, 'b to know the call')

      const post = async (r: Relay) => {
        const body = JSON.stringify({
          type: 'call.summary.completed',
          data: { object: { callId, status: 'completed', summary: ['Asked about the order.'] } },
        })
        const res = await fetch(`${r.server.url}/api/webhooks/quo/pn-b`, {
          method: 'POST',
          headers: quoAppHeaders(QUO.webhookSecret, body, Date.now()),
          body,
        })
        return { status: res.status, body: (await res.json()) as Record<string, unknown> }
      }
      expect(await post(b)).toEqual({
        status: 200,
        body: { callDetails: activityId, duplicate: false, queued: true },
      })
      await until(
        () =>
          callDetailsOf(conversation.doc, activityId)?.summary?.[0] === 'Asked about the order.',
        'a to file the summary',
      )
      expect(await ownerOf(a.storage, 'conversation:c-call')).toEqual(owned)
      expect(b.server.relay.loadedRooms()).not.toContain('conversation:c-call')
      const again = await Promise.all([post(a), post(b)])
      expect(again.map((r) => r.body.duplicate)).toEqual([true, true])
    },
  )

  it(
    '[O1][W11] a reply posted to relay B for a conversation A owns shows Sending through A, which keeps the room',
    { timeout: 30_000 },
    async () => {
      const url = await createTestDatabase()
      const a = await relay(url, 'a')
      const b = await relay(url, 'b')
      a.storage.putPhoneNumber({ id: 'pn-a', name: 'Support', number: NUMBER, provider: 'twilio' })
      const token = await a.server.login('alice@example.com')
      await a.server.relay.ingest(incoming('c-sending', 'pn-a', { from: CONTACT }))
      const conversation = await open(a, token, 'conversation:c-sending')
      const owned = await ownerOf(a.storage, 'conversation:c-sending')
      await a.storage.whenDurable()
      await until(
        () =>
          b.storage.getConversationPhoneNumber('c-sending') === 'pn-a' &&
          b.storage.getPhoneNumber('pn-a')?.provider === 'twilio',
        'b to know the conversation and the number',
      )
      const res = await api(b.server, '/api/outgoing', {
        token,
        body: { conversationId: 'c-sending', phoneNumberId: 'pn-a', body: 'On its way' },
      })
      expect(res.status).toBe(202)
      const { activityId } = (await res.json()) as { activityId: string }
      await until(
        () => deliveryOf(conversation.doc, activityId)?.state === 'sending',
        'a to show the reply Sending',
      )
      expect(listActivities(conversation.doc).map((x) => x.id)).toContain(activityId)
      expect(await ownerOf(a.storage, 'conversation:c-sending')).toEqual(owned)
      expect(b.server.relay.loadedRooms()).not.toContain('conversation:c-sending')
    },
  )
})
