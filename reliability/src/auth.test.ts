/**
 * Issue 8 §5 — the auth matrix [DESIGN §4 "Auth"]: no token, expired, forged signature,
 * `alg: none`, another workspace's token, an unknown member, room name tricks, a foreign Origin,
 * writes a member may not make, then token expiry and access revocation on an open socket.
 * Every attempt must be refused before any document byte, and the stored bytes stay unchanged.
 */
import { createHash, createHmac } from 'node:crypto'
import { join } from 'node:path'
import { createHlc, markConversation, type Activity } from '@switchboard/core'
import { MessageType } from '@switchboard/protocol'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { recordFigures } from './support/figures.ts'
import { syncFrame } from './support/frames.ts'
import {
  PASSWORD,
  SECRET,
  login,
  startLocalRelay,
  type LocalRelay,
  type Session,
} from './support/relay.ts'

const workspace = {
  phoneNumbers: ['pn1', 'pn2'],
  members: [
    ['alice', 'owner', ['pn1', 'pn2']],
    ['carol', 'member', ['pn1']],
    ['vic', 'viewer', ['pn1']],
  ] as [string, 'owner' | 'member' | 'viewer', string[]][],
}
const figures: Record<string, unknown> = {}
afterAll(() => recordFigures('auth', figures))

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
function jwt(header: object, claims: object, secret: string | null): string {
  const head = `${b64(header)}.${b64(claims)}`
  if (secret === null) return `${head}.`
  const alg = (header as { alg?: string }).alg === 'HS512' ? 'sha512' : 'sha256'
  return `${head}.${createHmac(alg, secret).update(head).digest('base64url')}`
}

interface Attempt {
  name: string
  refused: boolean
  how: string
  bytesBeforeRefusal: number
}

/** Opens a socket and, if it opens, optionally sends frames; reports how it was refused. */
function attempt(
  relay: LocalRelay,
  name: string,
  path: string,
  options: { headers?: Record<string, string>; send?: Uint8Array[]; waitMs?: number } = {},
): Promise<Attempt> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${path}`, {
      headers: options.headers,
    })
    let bytes = 0
    let docBytes = 0
    const done = (refused: boolean, how: string) => {
      clearTimeout(timer)
      ws.removeAllListeners()
      ws.on('error', () => {})
      ws.terminate()
      resolve({ name, refused, how, bytesBeforeRefusal: refused ? docBytes : bytes })
    }
    const timer = setTimeout(() => done(false, 'still open'), options.waitMs ?? 1500)
    ws.on('error', (e) => done(true, `error ${e.message.slice(0, 60)}`))
    ws.on('unexpected-response', (_req, res) => done(true, `HTTP ${res.statusCode}`))
    ws.on('message', (data: Buffer) => {
      bytes += data.length
      // Sync messages carry document bytes; keepalives and awareness do not count.
      if (data[0] === MessageType.Sync && !(options.send && options.send.length > 0))
        docBytes += data.length
    })
    ws.on('open', () => {
      for (const f of options.send ?? []) ws.send(f)
    })
    ws.on('close', (code) => done(code >= 4000, `close ${code}`))
  })
}

/** A hash of every stored room (but `except`, a room the relay itself writes meanwhile). */
function storedHash(relay: LocalRelay, except = ''): string {
  const db = new Database(join(relay.dataDir, 'relay.db'), { readonly: true })
  const h = createHash('sha256')
  for (const r of db
    .prepare('SELECT room, data FROM updates WHERE room != ? ORDER BY id')
    .all(except) as {
    room: string
    data: Buffer
  }[])
    h.update(r.room).update(r.data)
  for (const r of db.prepare('SELECT room, data FROM snapshots ORDER BY room').all() as {
    room: string
    data: Buffer
  }[])
    h.update(r.room).update(r.data)
  db.close()
  return h.digest('hex')
}

const activity = (id: string, conversationId: string, phoneNumberId: string): Activity => ({
  id,
  conversationId,
  phoneNumberId,
  direction: 'incoming',
  kind: 'message',
  from: '+15550100000',
  to: '+14155551000',
  body: 'hi',
  at: Date.now() - 1000,
})

function markUpdate(memberId: string, deviceId: string, by = memberId): Uint8Array {
  const doc = new Y.Doc()
  markConversation(doc, 'c1', 'done', { memberId: by, deviceId, clock: createHlc(deviceId) })
  void memberId
  return Y.encodeStateAsUpdate(doc)
}

describe('[§4] auth matrix', () => {
  it('every unauthorised socket is refused before any document byte, and the stored bytes stay unchanged', async () => {
    const relay = await startLocalRelay({ workspace })
    const other = await startLocalRelay({
      workspace,
      secret: 'another-workspace-secret-0123456789',
    })
    await relay.relay.ingest(activity('a1', 'c1', 'pn1'))
    await relay.relay.ingest(activity('a2', 'c2', 'pn2'))
    const carol = (await login(relay.url, 'carol@example.com')).token
    const vic = (await login(relay.url, 'vic@example.com')).token
    const foreign = (await login(other.url, 'carol@example.com')).token
    const [, claims64] = carol.split('.')
    const claims = JSON.parse(Buffer.from(claims64!, 'base64url').toString()) as {
      sub: string
      exp: number
    }
    const now = Math.floor(Date.now() / 1000)
    const asAlice = { ...claims, sub: 'alice', role: 'owner' }
    const forged = `${carol.split('.')[0]}.${b64(asAlice)}.${carol.split('.')[2]}`
    const before = storedHash(relay)

    const a: Attempt[] = []
    const room = (r: string, token: string) => `${r}?token=${encodeURIComponent(token)}`
    a.push(await attempt(relay, 'no token', 'inbox:pn1'))
    a.push(await attempt(relay, 'empty token', room('inbox:pn1', '')))
    a.push(await attempt(relay, 'garbage token', room('inbox:pn1', 'not.a.jwt')))
    a.push(
      await attempt(
        relay,
        'expired token',
        room(
          'inbox:pn1',
          jwt(
            { alg: 'HS256', typ: 'JWT' },
            { ...claims, iat: now - 7200, exp: now - 3600 },
            SECRET,
          ),
        ),
      ),
    )
    a.push(
      await attempt(relay, 'forged signature (claims swapped to alice)', room('inbox:pn2', forged)),
    )
    a.push(
      await attempt(
        relay,
        'alg: none',
        room('inbox:pn2', jwt({ alg: 'none', typ: 'JWT' }, asAlice, null)),
      ),
    )
    a.push(
      await attempt(
        relay,
        'alg: HS512 with the secret',
        room('inbox:pn2', jwt({ alg: 'HS512', typ: 'JWT' }, asAlice, SECRET)),
      ),
    )
    a.push(await attempt(relay, "another workspace's token", room('inbox:pn1', foreign)))
    a.push(
      await attempt(
        relay,
        'unknown member, valid signature',
        room('inbox:pn1', jwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: 'mallory' }, SECRET)),
      ),
    )
    for (const trick of [
      'inbox:pn2',
      'inbox:../pn2',
      'inbox:..%2Fpn2',
      'inbox%3Apn2',
      'inbox:pn2%00',
      'inbox:pn1%2F..%2Fpn2',
      'INBOX:pn2',
      'inbox:pn1%20',
      'inbox:*',
      'conversation:c2',
      'conversation:unknown',
      'conversation:..%2F..%2Finbox:pn2',
      'secret:pn1',
      'workspace:pn2',
      'inbox:' + 'x'.repeat(5000),
      '%F0%9F%92%A3',
    ])
      a.push(await attempt(relay, `room ${trick.slice(0, 40)}`, room(trick, carol)))
    a.push(
      await attempt(relay, 'foreign Origin', room('inbox:pn1', carol), {
        headers: { origin: 'https://evil.example' },
      }),
    )
    a.push(
      await attempt(relay, 'viewer writes a read-only room', room('inbox:pn1', vic), {
        send: [syncFrame(2, markUpdate('vic', 'dev-vic'))],
      }),
    )
    a.push(
      await attempt(relay, 'member writes the workspace room', room('workspace', carol), {
        send: [
          syncFrame(
            2,
            (() => {
              const d = new Y.Doc()
              d.getMap('members').set('carol', { id: 'carol', role: 'owner' })
              return Y.encodeStateAsUpdate(d)
            })(),
          ),
        ],
      }),
    )
    a.push(
      await attempt(relay, 'member writes a mark as another member', room('inbox:pn1', carol), {
        send: [syncFrame(2, markUpdate('carol', 'dev-carol', 'alice'))],
      }),
    )
    a.push(
      await attempt(
        relay,
        'member writes relay-only conversations root',
        room('inbox:pn1', carol),
        {
          send: [
            syncFrame(
              2,
              (() => {
                const d = new Y.Doc()
                d.getMap('conversations').set('c9', { id: 'c9' })
                return Y.encodeStateAsUpdate(d)
              })(),
            ),
          ],
        },
      ),
    )
    const http = [
      (await fetch(`${relay.url}/api/me`)).status,
      (await fetch(`${relay.url}/api/me`, { headers: { authorization: `Bearer ${forged}` } }))
        .status,
      (
        await fetch(`${relay.url}/api/admin/members`, {
          headers: { authorization: `Bearer ${carol}` },
        })
      ).status,
    ]
    const after = storedHash(relay)
    const leaked = a.filter((x) => !x.refused || x.bytesBeforeRefusal > 0)

    // Live sockets: token expiry and access revocation, closed within 1 s.
    const short = await startLocalRelay({ workspace, tokenTtlSeconds: 2 })
    await short.relay.ingest(activity('s1', 'c1', 'pn1'))
    const session = await login(short.url, 'carol@example.com')
    const expiry = await new Promise<{ code: number; lateMs: number }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${short.port}/sync/inbox:pn1?token=${session.token}`)
      ws.on('error', () => {})
      ws.on('close', (code) => resolve({ code, lateMs: Date.now() - session.expiresAt }))
    })
    const alice = (await login(relay.url, 'alice@example.com')).token
    const revoked = await new Promise<{ code: number; afterMs: number }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/inbox:pn1?token=${carol}`)
      ws.on('error', () => {})
      let t0 = 0
      ws.on('open', async () => {
        t0 = Date.now()
        const res = await fetch(`${relay.url}/api/admin/access`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
          body: JSON.stringify({ memberId: 'carol', phoneNumberId: 'pn1' }),
        })
        if (res.status !== 200) resolve({ code: -res.status, afterMs: 0 })
      })
      ws.on('close', (code) => resolve({ code, afterMs: Date.now() - t0 }))
    })
    const reopen = await attempt(relay, 'revoked member reconnects', room('inbox:pn1', carol))
    await short.close()
    await other.close()
    await relay.close()

    figures.attempts = a.length + http.length + 1
    figures.refused =
      a.filter((x) => x.refused).length +
      http.filter((s) => s >= 400).length +
      (reopen.refused ? 1 : 0)
    figures.documentBytesLeaked = leaked.reduce((s, x) => s + x.bytesBeforeRefusal, 0)
    figures.storedBytesUnchanged = before === after
    figures.tokenExpiryClose = { code: expiry.code, msAfterExpiry: expiry.lateMs }
    figures.revocationClose = { code: revoked.code, msAfterRevoke: revoked.afterMs }
    figures.matrix = [...a, reopen].map((x) => `${x.name}: ${x.how}`)
    figures.http = { meWithoutToken: http[0], meWithForged: http[1], adminAsMember: http[2] }
    expect(leaked).toEqual([])
    expect(reopen.refused).toBe(true)
    expect(http.every((s) => s === 401 || s === 403)).toBe(true)
    expect(before).toBe(after)
    expect(expiry.code).toBe(4401)
    expect(expiry.lateMs).toBeLessThan(1000)
    expect(revoked.code).toBe(4403)
    expect(revoked.afterMs).toBeLessThan(1000)
  })
})

/** A socket as `token` to `room`: when it closed, with which code, ms after `mark()` was called. */
function watchClose(relay: LocalRelay, room: string, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${room}?token=${token}`)
  ws.on('error', () => {})
  let t0 = 0
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()))
  const closed = new Promise<{ code: number; afterMs: number }>((resolve) =>
    ws.on('close', (code) => resolve({ code, afterMs: Date.now() - t0 })),
  )
  return { ws, opened, closed, mark: () => (t0 = Date.now()) }
}

const api = (
  relay: LocalRelay,
  path: string,
  token: string | null,
  body?: unknown,
  method?: string,
) =>
  fetch(`${relay.url}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

describe('[issue 20 §5] off-boarding and sessions', () => {
  it('regression: a removed member kept writing on open sockets — now every socket of theirs closes within 1 s (4410) and nothing they send is stored', async () => {
    const relay = await startLocalRelay({ workspace })
    await relay.relay.ingest(activity('r1', 'c1', 'pn1'))
    const alice = (await login(relay.url, 'alice@example.com')).token
    const carol = await login(relay.url, 'carol@example.com')
    const carolOther = await login(relay.url, 'carol@example.com')
    const sockets = [
      watchClose(relay, 'inbox:pn1', carol.token),
      watchClose(relay, 'contacts', carol.token),
      watchClose(relay, 'inbox:pn1', carolOther.token),
    ]
    await Promise.all(sockets.map((s) => s.opened))
    // The workspace room gets the relay's own write (carol marked removed); nothing else changes.
    const before = storedHash(relay, 'workspace')
    for (const s of sockets) s.mark()
    const removed = await api(relay, '/api/admin/members/carol', alice, undefined, 'DELETE')
    // What a hostile client would send right after: it must not be stored.
    for (const s of sockets)
      if (s.ws.readyState === WebSocket.OPEN)
        s.ws.send(syncFrame(2, markUpdate('carol', 'dev-carol')))
    const closes = await Promise.all(sockets.map((s) => s.closed))
    const me = await api(relay, '/api/me', carol.token)
    const reopen = await attempt(
      relay,
      'removed member reconnects',
      `inbox:pn1?token=${carol.token}`,
    )
    const relogin = await fetch(`${relay.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'carol@example.com', password: PASSWORD }),
    })
    const after = storedHash(relay, 'workspace')
    await relay.close()

    figures.memberRemoval = {
      sockets: closes.length,
      codes: closes.map((c) => c.code),
      maxMsAfterRemoval: Math.max(...closes.map((c) => c.afterMs)),
      tokenAfterRemoval: me.status,
      reconnect: reopen.how,
      loginAfterRemoval: relogin.status,
    }
    expect(removed.status).toBe(200)
    expect(closes.map((c) => c.code)).toEqual([4410, 4410, 4410])
    expect(Math.max(...closes.map((c) => c.afterMs))).toBeLessThan(1000)
    expect(me.status).toBe(401)
    expect(reopen).toMatchObject({ refused: true, how: 'close 4410', bytesBeforeRefusal: 0 })
    expect(relogin.status).toBe(401)
    expect(after).toBe(before)
  })

  it('regression: /api/refresh extended any token indefinitely — now only a refresh token refreshes, once, and never past the session’s end; a revoked session closes its sockets within 1 s', async () => {
    const relay = await startLocalRelay({
      workspace,
      tokenTtlSeconds: 1,
      sessionTtlSeconds: 3,
      refreshReuseGraceMs: 0,
    })
    const s = (await login(relay.url, 'carol@example.com')) as Session & {
      refreshToken: string
      sessionExpiresAt: number
    }
    // The old way: the access token as Bearer.
    const bearerOnly = await api(relay, '/api/refresh', s.token, {})
    // Refresh until the session's end: each answer's refresh token is the next one to use.
    let current = s.refreshToken
    let refreshes = 0
    let lastAccessExpiry = s.expiresAt
    let ended: { status: number; code?: string } | null = null
    while (!ended) {
      const res = await api(relay, '/api/refresh', null, { refreshToken: current })
      const body = (await res.json()) as {
        refreshToken?: string
        expiresAt?: number
        code?: string
      }
      if (res.status !== 200) ended = { status: res.status, code: body.code }
      else {
        refreshes++
        current = body.refreshToken!
        lastAccessExpiry = body.expiresAt!
        await new Promise((r) => setTimeout(r, 250))
      }
    }
    const endedAfterMs = Date.now() - (s.sessionExpiresAt - 3000)

    // Reuse of a replaced refresh token ends the session, and its socket closes at once.
    const t = await login(relay.url, 'carol@example.com')
    const first = (await (
      await api(relay, '/api/refresh', null, { refreshToken: (t as typeof s).refreshToken })
    ).json()) as {
      token: string
    }
    const sock = watchClose(relay, 'inbox:pn1', first.token)
    await sock.opened
    sock.mark()
    const reuse = await api(relay, '/api/refresh', null, {
      refreshToken: (t as typeof s).refreshToken,
    })
    const reuseBody = (await reuse.json()) as { code?: string }
    const closed = await sock.closed
    const meAfterReuse = await api(relay, '/api/me', first.token)
    await relay.close()

    figures.refresh = {
      bearerOnlyRefresh: bearerOnly.status,
      refreshesWithinSession: refreshes,
      sessionEndedAfterMs: endedAfterMs,
      endedWith: ended,
      accessTokenNeverOutlivesSession: lastAccessExpiry <= s.sessionExpiresAt,
      reuse: { status: reuse.status, code: reuseBody.code, socketClose: closed },
      tokenAfterReuse: meAfterReuse.status,
    }
    expect(bearerOnly.status).toBe(400)
    expect(refreshes).toBeGreaterThan(0)
    expect(ended).toEqual({ status: 401, code: 'session-expired' })
    expect(lastAccessExpiry).toBeLessThanOrEqual(s.sessionExpiresAt)
    expect(endedAfterMs).toBeLessThan(3000 + 1000)
    expect([reuse.status, reuseBody.code]).toEqual([401, 'session-ended'])
    expect(closed.code).toBe(4410)
    expect(closed.afterMs).toBeLessThan(1000)
    expect(meAfterReuse.status).toBe(401)
  })
})
