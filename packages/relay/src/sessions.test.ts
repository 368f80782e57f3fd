/**
 * Sessions and off-boarding (packages/core/SPEC.md "Access" [S1]–[S6]), on real sockets and the
 * real SQLite store: login, refresh rotation and reuse, revocation, sign-out, removal. The role
 * rules [S7]–[S11] are in sessions-roles.test.ts.
 */
import { readWorkspace } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { accessFixture, closedWith, refresh } from './access-fixture.ts'
import { CloseCode } from '@switchboard/protocol'
import { PASSWORD, rawSocket, until, api } from './test-helpers.ts'

const { relayOnSqlite, socket } = accessFixture()

describe('[S1] login opens a session', () => {
  it('[S1] login answers an access token naming the session, a refresh token and the session end', async () => {
    const r = await relayOnSqlite()
    const s = await r.session('carol@example.com')
    const claims = JSON.parse(Buffer.from(s.token.split('.')[1]!, 'base64url').toString()) as {
      sid: string
      sub: string
    }
    expect(claims.sub).toBe('carol')
    expect(s.refreshToken.startsWith(claims.sid + '.0.')).toBe(true)
    expect(s.sessionExpiresAt).toBeGreaterThan(s.expiresAt)
    const stored = r.relay.storage.getSession(claims.sid)
    expect(stored).toMatchObject({ memberId: 'carol', refreshGen: 0 })
    expect(stored?.endedAt).toBeUndefined()
  })
})

describe('[S2] refresh tokens rotate', () => {
  it('[S2] each refresh returns a new refresh token; the old one after the grace ends the session, closing its sockets (4410)', async () => {
    const r = await relayOnSqlite({ refreshReuseGraceMs: 0 })
    const s = await r.session('carol@example.com')
    const inbox = socket(r, 'inbox:pn-a', s.token)
    await inbox.synced
    const first = await refresh(r, s.refreshToken)
    expect(first.status).toBe(200)
    const next = (await first.json()) as { token: string; refreshToken: string }
    expect(next.refreshToken).not.toBe(s.refreshToken)
    const second = await refresh(r, next.refreshToken)
    expect(second.status).toBe(200)
    const latest = (await second.json()) as { token: string; refreshToken: string }
    expect((await api(r, '/api/me', { token: latest.token })).status).toBe(200)

    // The first token again: two holders of one token, the session ends.
    const reuse = await refresh(r, s.refreshToken)
    expect(reuse.status).toBe(401)
    expect(await reuse.json()).toMatchObject({ code: 'session-ended' })
    await closedWith(inbox, CloseCode.SessionEnded, 'socket of the reused session closed')
    for (const t of [s.token, next.token, latest.token])
      expect((await api(r, '/api/me', { token: t })).status).toBe(401)
    expect((await refresh(r, latest.refreshToken)).status).toBe(401)
    expect(r.relay.metrics.authFailures.get('refresh-reused')).toBe(1)
  })

  it('[S2] within the grace, the token just replaced gets the current refresh token again (two tabs at once)', async () => {
    const r = await relayOnSqlite()
    const s = await r.session('carol@example.com')
    const a = (await (await refresh(r, s.refreshToken)).json()) as { refreshToken: string }
    const b = await refresh(r, s.refreshToken)
    expect(b.status).toBe(200)
    expect(((await b.json()) as { refreshToken: string }).refreshToken).toBe(a.refreshToken)
    expect((await refresh(r, a.refreshToken)).status).toBe(200)
  })

  it('[S2] a forged or malformed refresh token is refused without ending the session; the access token cannot refresh', async () => {
    const r = await relayOnSqlite({ refreshReuseGraceMs: 0 })
    const s = await r.session('carol@example.com')
    const [sid] = s.refreshToken.split('.')
    for (const bad of [`${sid}.5.forged`, `${sid}.0`, 'x', `${sid}.0.${'A'.repeat(43)}`])
      expect((await refresh(r, bad)).status).toBe(401)
    const bearerOnly = await fetch(`${r.url}/api/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(bearerOnly.status).toBe(400)
    expect(await bearerOnly.json()).toMatchObject({ field: 'refreshToken' })
    expect((await refresh(r, s.refreshToken)).status).toBe(200)
  })

  it('[S3] a session ends at its absolute lifetime whatever its refreshes; no access token outlives it', async () => {
    const r = await relayOnSqlite({ sessionTtlSeconds: 2, tokenTtlSeconds: 3600 })
    const s = await r.session('carol@example.com')
    expect(s.expiresAt).toBeLessThanOrEqual(s.sessionExpiresAt)
    const next = (await (await refresh(r, s.refreshToken)).json()) as {
      refreshToken: string
      sessionExpiresAt: number
    }
    expect(next.sessionExpiresAt).toBe(s.sessionExpiresAt)
    await until(() => Date.now() > s.sessionExpiresAt, 'session end', 5000)
    const late = await refresh(r, next.refreshToken)
    expect(late.status).toBe(401)
    expect(await late.json()).toMatchObject({ code: 'session-expired' })
  })
})

describe('[S4][S5] ending sessions', () => {
  it('[S5] an admin revokes one session: its socket closes with 4410 and its token gets 401; the member’s other session keeps working', async () => {
    const r = await relayOnSqlite()
    const bob = await r.login('bob@example.com')
    const phone = await r.session('carol@example.com')
    const laptop = await r.session('carol@example.com')
    const onPhone = socket(r, 'inbox:pn-a', phone.token)
    const onLaptop = socket(r, 'inbox:pn-a', laptop.token)
    await Promise.all([onPhone.synced, onLaptop.synced])
    const list = await api(r, '/api/admin/members/carol/sessions', { token: bob })
    const sessions = ((await list.json()) as { sessions: { id: string }[] }).sessions
    expect(sessions).toHaveLength(2)
    const phoneId = phone.refreshToken.split('.')[0]!
    const res = await api(r, `/api/admin/members/carol/sessions/${phoneId}`, {
      method: 'DELETE',
      token: bob,
    })
    expect(await res.json()).toEqual({ ended: [phoneId] })
    await closedWith(onPhone, CloseCode.SessionEnded, 'revoked session’s socket closed')
    const me = await api(r, '/api/me', { token: phone.token })
    expect([me.status, await me.json()]).toEqual([
      401,
      { error: 'token revoked', code: 'session-ended' },
    ])
    expect((await refresh(r, phone.refreshToken)).status).toBe(401)
    const again = rawSocket(`${r.wsUrl}/inbox:pn-a?token=${phone.token}`)
    expect((await again.closed).code).toBe(CloseCode.SessionEnded)
    expect(again.messages).toEqual([])
    expect(onLaptop.closes).toEqual([])
    expect((await api(r, '/api/me', { token: laptop.token })).status).toBe(200)
  })

  it('[S5] sign-out (POST /api/logout) ends the session on the relay: sockets 4410, tokens refused', async () => {
    const r = await relayOnSqlite()
    const s = await r.session('carol@example.com')
    const c = socket(r, 'contacts', s.token)
    await c.synced
    const out = await api(r, '/api/logout', { token: s.token, body: {} })
    expect(out.status).toBe(200)
    await closedWith(c, CloseCode.SessionEnded, 'signed-out socket closed')
    expect((await api(r, '/api/me', { token: s.token })).status).toBe(401)
    expect((await refresh(r, s.refreshToken)).status).toBe(401)
    expect((await api(r, '/api/logout', { token: s.token, body: {} })).status).toBe(401)

    // With only the refresh token (the access token expired offline).
    const other = await r.session('carol@example.com')
    expect(
      (await api(r, '/api/logout', { body: { refreshToken: other.refreshToken } })).status,
    ).toBe(200)
    expect((await api(r, '/api/me', { token: other.token })).status).toBe(401)
  })

  it('a member lists and ends their own sessions (GET/DELETE /api/sessions)', async () => {
    const r = await relayOnSqlite()
    const mine = await r.session('carol@example.com')
    const other = await r.session('carol@example.com')
    const list = (await (await api(r, '/api/sessions', { token: mine.token })).json()) as {
      sessions: { id: string; current: boolean }[]
    }
    expect(list.sessions.filter((s) => s.current).map((s) => s.id)).toEqual([
      mine.refreshToken.split('.')[0],
    ])
    const otherId = other.refreshToken.split('.')[0]!
    expect(
      (await api(r, `/api/sessions/${otherId}`, { method: 'DELETE', token: mine.token })).status,
    ).toBe(200)
    expect((await api(r, '/api/me', { token: other.token })).status).toBe(401)
    const erin = await r.login('erin@example.com')
    const foreign = await api(r, `/api/sessions/${mine.refreshToken.split('.')[0]}`, {
      method: 'DELETE',
      token: erin,
    })
    expect(foreign.status).toBe(404)
  })
})

describe('[S6] removing a member', () => {
  it('[S6] removal closes every socket of every session (4410), refuses their tokens, and their login gets the wrong-password answer', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const one = await r.session('carol@example.com')
    const two = await r.session('carol@example.com')
    const sockets = [
      socket(r, 'inbox:pn-a', one.token),
      socket(r, 'contacts', one.token),
      socket(r, 'workspace', two.token),
    ]
    await Promise.all(sockets.map((s) => s.synced))
    const res = await api(r, '/api/admin/members/carol', { method: 'DELETE', token: alice })
    expect(res.status).toBe(200)
    expect(
      ((await res.json()) as { member: { deactivatedAt: number } }).member.deactivatedAt,
    ).toBeGreaterThan(0)
    for (const s of sockets)
      await closedWith(s, CloseCode.SessionEnded, 'removed member’s socket closed')
    for (const s of [one, two]) {
      expect((await api(r, '/api/me', { token: s.token })).status).toBe(401)
      expect((await refresh(r, s.refreshToken)).status).toBe(401)
    }
    const login = await api(r, '/api/login', {
      body: { email: 'carol@example.com', password: PASSWORD },
    })
    const wrong = await api(r, '/api/login', {
      body: { email: 'carol@example.com', password: 'nope-nope' },
    })
    expect([login.status, await login.json()]).toEqual([wrong.status, await wrong.json()])
    expect(login.status).toBe(401)
    // The workspace keeps the member (history names them), marked removed.
    const stored = await r.relay.storage.loadRoom('workspace')
    const doc = new Y.Doc()
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
    for (const u of stored.updates) Y.applyUpdate(doc, u.data)
    expect(readWorkspace(doc).members.find((m) => m.id === 'carol')).toMatchObject({
      deactivated: true,
    })
    const members = (await (await api(r, '/api/admin/members', { token: alice })).json()) as {
      members: { id: string; deactivatedAt: number | null }[]
    }
    expect(members.members.find((m) => m.id === 'carol')?.deactivatedAt).not.toBeNull()
    expect(members.members.find((m) => m.id === 'erin')?.deactivatedAt).toBeNull()
  })
})
