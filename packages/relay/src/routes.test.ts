import { createNodeWebSocket } from './node/ws-upgrade.ts'
import { getConversation, listActivities } from '@switchboard/core'
import { Hono } from 'hono'
import { sign as signJwt } from 'hono/jwt'
import { beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createRelay, type Relay } from './relay.ts'
import { createMemoryStorage } from './storage/memory.ts'
import { PASSWORD, SECRET, WEBHOOK_SECRET, incoming, sign } from './test-helpers.ts'

let relay: Relay
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const login = async (email: string, password = PASSWORD) =>
  relay.app.request('/api/login', json({ email, password }))
const tokenOf = async (email: string) =>
  ((await (await login(email)).json()) as { token: string }).token
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const webhook = (body: unknown, signature?: string) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  return relay.app.request(
    '/api/webhooks/activity',
    json(raw, { 'x-switchboard-signature': signature ?? sign(raw) }),
  )
}
const roomDoc = async (name: string) => {
  const stored = await relay.storage.loadRoom(name)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return doc
}

beforeEach(async () => {
  relay = createRelay({
    storage: createMemoryStorage(),
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    upgradeWebSocket: createNodeWebSocket(new Hono()).upgradeWebSocket,
    loginLimit: { perEmail: 3, perIp: 100, windowMs: 60_000 },
    // As a scraper on the relay's host: /metrics is served to loopback clients [A8].
    clientIp: () => '127.0.0.1',
    log: () => {},
  })
  await relay.admin.createPhoneNumber({ id: 'pn-a', name: 'Support', number: '+14155550142' })
  await relay.admin.createPhoneNumber({ id: 'pn-b', name: 'Sales', number: '+14155550100' })
  await relay.admin.createMember({
    id: 'alice',
    email: 'alice@example.com',
    name: 'Alice',
    role: 'owner',
    password: PASSWORD,
  })
  await relay.admin.createMember({
    id: 'carol',
    email: 'carol@example.com',
    name: 'Carol',
    role: 'member',
    password: PASSWORD,
  })
  await relay.admin.grant('alice', 'pn-a')
  await relay.admin.grant('alice', 'pn-b')
  await relay.admin.grant('carol', 'pn-a')
})

describe('operations routes', () => {
  it('GET /healthz is 200 JSON while the store is readable, 503 once it is not', async () => {
    const ok = await relay.app.request('/healthz')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ ok: true })
    await relay.storage.close()
    expect((await relay.app.request('/healthz')).status).toBe(503)
  })

  it('GET /metrics is Prometheus text with every family the issue lists', async () => {
    await login('alice@example.com', 'wrong')
    const text = await (await relay.app.request('/metrics')).text()
    for (const name of [
      'switchboard_connections',
      'switchboard_rooms_loaded',
      'switchboard_updates_in_total',
      'switchboard_updates_stored_total',
      'switchboard_updates_broadcast_total',
      'switchboard_store_latency_ms_bucket',
      'switchboard_frames_rejected_total',
      'switchboard_auth_failures_total{reason="login"} 1',
    ])
      expect(text).toContain(name)
  })
})

describe('[§4 auth] login, refresh, me', () => {
  it('login returns { token, expiresAt, member } for the right password', async () => {
    const res = await login('Alice@Example.com')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { token: string; expiresAt: number; member: unknown }
    expect(body.member).toEqual({
      id: 'alice',
      email: 'alice@example.com',
      name: 'Alice',
      role: 'owner',
    })
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 3500_000)
    expect(body.token.split('.')).toHaveLength(3)
  })

  it('wrong password and unknown email are the same 401 JSON error', async () => {
    const a = await login('alice@example.com', 'nope')
    const b = await login('nobody@example.com', 'nope')
    expect([a.status, b.status]).toEqual([401, 401])
    expect(await a.json()).toEqual(await b.json())
  })

  it('a login body without a password is a 400 naming the field', async () => {
    const res = await relay.app.request('/api/login', json({ email: 'alice@example.com' }))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ field: 'password' })
  })

  it('[A3] failed logins make an email wait (429 with Retry-After, even with the right password)', async () => {
    for (let i = 0; i < 3; i++) expect((await login('carol@example.com', 'bad')).status).toBe(401)
    const res = await login('carol@example.com')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBeTruthy()
    expect((await login('alice@example.com')).status).toBe(200)
  })

  it('[A3] failed logins make an address wait across emails', async () => {
    const perIp = createRelay({
      storage: createMemoryStorage(),
      secret: SECRET,
      webhookSecret: WEBHOOK_SECRET,
      upgradeWebSocket: createNodeWebSocket(new Hono()).upgradeWebSocket,
      loginLimit: { perEmail: 100, perIp: 4, windowMs: 60_000 },
      clientIp: () => '203.0.113.7',
      log: () => {},
    })
    const attempt = (email: string) =>
      perIp.app.request('/api/login', json({ email, password: 'guess' }))
    for (let i = 0; i < 4; i++) expect((await attempt(`user${i}@example.com`)).status).toBe(401)
    expect((await attempt('someone-else@example.com')).status).toBe(429)
    expect(perIp.metrics.authFailures.get('login-rate-limited')).toBe(1)
  })

  it('[S2] /api/refresh trades a refresh token (once) and refuses expired, forged and missing access tokens in its place', async () => {
    const login = (await (
      await relay.app.request(
        '/api/login',
        json({ email: 'alice@example.com', password: PASSWORD }),
      )
    ).json()) as { token: string; refreshToken: string }
    const res = await relay.app.request('/api/refresh', json({ refreshToken: login.refreshToken }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ member: { id: 'alice' } })
    const t = Math.floor(Date.now() / 1000)
    const expired = await signJwt({ sub: 'alice', role: 'owner', exp: t - 10 }, SECRET, 'HS256')
    const forged = await signJwt({ sub: 'alice', role: 'owner', exp: t + 600 }, 'other', 'HS256')
    for (const h of [bearer(expired), bearer(forged), bearer(login.token), {}])
      expect((await relay.app.request('/api/refresh', json({}, h))).status).toBe(400)
    for (const refreshToken of [expired, forged, 'a.b.c'])
      expect((await relay.app.request('/api/refresh', json({ refreshToken }))).status).toBe(401)
    // A token signed with our key but naming no session (as issued before sessions) is refused.
    const sessionless = await signJwt(
      { sub: 'alice', role: 'owner', exp: t + 600 },
      SECRET,
      'HS256',
    )
    expect((await relay.app.request('/api/me', { headers: bearer(sessionless) })).status).toBe(401)
  })

  it('/api/me lists the member, their phone numbers and the rooms they may join', async () => {
    const res = await relay.app.request('/api/me', {
      headers: bearer(await tokenOf('carol@example.com')),
    })
    expect(await res.json()).toEqual({
      member: { id: 'carol', email: 'carol@example.com', name: 'Carol', role: 'member' },
      phoneNumbers: [{ id: 'pn-a', name: 'Support', number: '+14155550142' }],
      rooms: ['workspace', 'contacts', 'inbox:pn-a'],
    })
  })
})

describe('admin routes (owner/admin)', () => {
  it('a member gets 403; an owner creates members and phone numbers, grants and revokes', async () => {
    const carol = bearer(await tokenOf('carol@example.com'))
    const alice = bearer(await tokenOf('alice@example.com'))
    expect((await relay.app.request('/api/admin/members', { headers: carol })).status).toBe(403)
    const created = await relay.app.request(
      '/api/admin/members',
      json(
        { email: 'dan@example.com', name: 'Dan', role: 'member', password: 'long-enough' },
        alice,
      ),
    )
    expect(created.status).toBe(201)
    const dan = ((await created.json()) as { member: { id: string } }).member
    const dup = await relay.app.request(
      '/api/admin/members',
      json(
        { email: 'dan@example.com', name: 'Dan', role: 'member', password: 'long-enough' },
        alice,
      ),
    )
    expect([dup.status, ((await dup.json()) as { field: string }).field]).toEqual([409, 'email'])
    const badRole = await relay.app.request(
      '/api/admin/members',
      json({ email: 'x@example.com', name: 'X', role: 'king', password: 'long-enough' }, alice),
    )
    expect([badRole.status, ((await badRole.json()) as { field: string }).field]).toEqual([
      400,
      'role',
    ])
    const pn = await relay.app.request(
      '/api/admin/phone-numbers',
      json({ id: 'pn-c', name: 'Ops', number: '+14155550000' }, alice),
    )
    expect(pn.status).toBe(201)
    expect(
      (
        await relay.app.request(
          '/api/admin/access',
          json({ memberId: dan.id, phoneNumberId: 'pn-c' }, alice),
        )
      ).status,
    ).toBe(200)
    expect(relay.storage.listAccess(dan.id)).toEqual(['pn-c'])
    const ws = await roomDoc('workspace')
    expect(ws.getMap('members').has(dan.id)).toBe(true)
    expect(ws.getMap('access').has(`${dan.id}\u001fpn-c`)).toBe(true)
    const revoke = await relay.app.request('/api/admin/access', {
      ...json({ memberId: dan.id, phoneNumberId: 'pn-c' }, alice),
      method: 'DELETE',
    })
    expect(revoke.status).toBe(200)
    expect(relay.storage.listAccess(dan.id)).toEqual([])
    expect((await roomDoc('workspace')).getMap('access').has(`${dan.id}\u001fpn-c`)).toBe(false)
  })
})

describe('[§4 ingestion] POST /api/webhooks/activity', () => {
  it('a bad or missing signature is 401 and changes nothing', async () => {
    const a = incoming('c-w-1', 'pn-a')
    expect((await webhook(a, 'sha256=00')).status).toBe(401)
    expect((await webhook(a, sign(JSON.stringify(a), 'other-secret'))).status).toBe(401)
    expect((await relay.app.request('/api/webhooks/activity', json(a))).status).toBe(401)
    expect((await relay.storage.loadRoom('inbox:pn-a')).updates).toEqual([])
  })

  it('an invalid activity is a 400 naming the field (with its index in a batch)', async () => {
    const bad = { ...incoming('c-w-2', 'pn-a'), from: '' }
    expect(await (await webhook(bad)).json()).toMatchObject({ field: 'from' })
    const batch = [incoming('c-w-2', 'pn-a'), { ...incoming('c-w-2', 'pn-a'), kind: 'fax' }]
    const res = await webhook(batch)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ field: '[1].kind' })
    expect(await (await webhook(incoming('c-w-2', 'pn-zzz'))).json()).toMatchObject({
      field: 'phoneNumberId',
    })
    expect(await (await webhook('{not json')).json()).toMatchObject({ field: 'body' })
  })

  it('202 applies the activity to the inbox and conversation rooms; a second delivery changes nothing', async () => {
    const a = incoming('c-w-3', 'pn-a', { body: 'Where is my parcel?' })
    const first = await webhook(a)
    expect(first.status).toBe(202)
    expect(await first.json()).toMatchObject({
      accepted: 1,
      results: [{ id: a.id, created: true, duplicate: false }],
    })
    const inbox = await roomDoc('inbox:pn-a')
    expect(getConversation(inbox, 'c-w-3')).toMatchObject({ status: 'open', unread: true })
    expect(listActivities(await roomDoc('conversation:c-w-3')).map((x) => x.body)).toEqual([
      'Where is my parcel?',
    ])
    const log = (await relay.storage.logSize('inbox:pn-a')).count
    const again = await webhook(a)
    expect(again.status).toBe(202)
    expect(await again.json()).toMatchObject({ results: [{ duplicate: true }] })
    expect((await relay.storage.logSize('inbox:pn-a')).count).toBe(log)
  })

  it('a conversation stays on the phone number it started on', async () => {
    expect((await webhook(incoming('c-w-4', 'pn-a'))).status).toBe(202)
    expect(await (await webhook(incoming('c-w-4', 'pn-b'))).json()).toMatchObject({
      field: 'conversationId',
    })
  })
})

describe('POST /api/outgoing', () => {
  it('records an outgoing message through the ingestion path (202 { activity }); access and fields are checked', async () => {
    expect((await webhook(incoming('c-o-1', 'pn-a', { from: '+15550001111' }))).status).toBe(202)
    expect((await webhook(incoming('c-o-2', 'pn-b'))).status).toBe(202)
    const carol = bearer(await tokenOf('carol@example.com'))
    const res = await relay.app.request(
      '/api/outgoing',
      json({ conversationId: 'c-o-1', phoneNumberId: 'pn-a', body: 'On its way!' }, carol),
    )
    expect(res.status).toBe(202)
    const { activity } = (await res.json()) as {
      activity: { direction: string; to: string; from: string }
    }
    expect(activity).toMatchObject({
      direction: 'outgoing',
      kind: 'message',
      to: '+15550001111',
      from: 'carol',
    })
    expect(listActivities(await roomDoc('conversation:c-o-1'))).toHaveLength(2)
    expect(getConversation(await roomDoc('inbox:pn-a'), 'c-o-1')).toMatchObject({
      unread: true,
      lastActivity: { direction: 'outgoing' },
    })
    expect(
      (
        await relay.app.request(
          '/api/outgoing',
          json({ conversationId: 'c-o-2', phoneNumberId: 'pn-b', body: 'x' }, carol),
        )
      ).status,
    ).toBe(403)
    expect(
      (
        await relay.app.request(
          '/api/outgoing',
          json({ conversationId: 'c-nope', phoneNumberId: 'pn-a', body: 'x' }, carol),
        )
      ).status,
    ).toBe(404)
    expect(
      await (
        await relay.app.request(
          '/api/outgoing',
          json({ conversationId: 'c-o-1', phoneNumberId: 'pn-a', body: '' }, carol),
        )
      ).json(),
    ).toMatchObject({ field: 'body' })
    expect(
      (
        await relay.app.request(
          '/api/outgoing',
          json({ conversationId: 'c-o-1', phoneNumberId: 'pn-a', body: 'x' }),
        )
      ).status,
    ).toBe(401)
  })
})
