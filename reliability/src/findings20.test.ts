/**
 * Issue 20 — the findings that were reproduced only by the relay's unit tests, now against the
 * real relay in this process over SQLite, with real sockets and real HTTP: a member locking a
 * teammate's device out, an admin making owners and revoking the owner, off-boarding beyond
 * removal (role change, session revocation, password reset), sockets per member, `/metrics`
 * without a login, world-readable store files, webhook times in year 9999, and a web app with no
 * security headers. Each test failed before its fix; each title cites its SPEC rule.
 */
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { createHlc, markConversation, type Activity } from '@switchboard/core'
import { decodeAck, MessageType } from '@switchboard/protocol'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { waitFor } from './support/figures.ts'
import { awarenessFrame, frame, syncFrame } from './support/frames.ts'
import {
  PASSWORD,
  login,
  spawnRelay,
  startLocalRelay,
  tempDir,
  webhookSignature,
  type LocalRelay,
} from './support/relay.ts'

type Role = 'owner' | 'admin' | 'member' | 'viewer'
const workspace = {
  phoneNumbers: ['pn1', 'pn2'],
  members: [
    ['alice', 'owner', ['pn1', 'pn2']],
    ['bob', 'member', ['pn1', 'pn2']],
    ['carol', 'member', ['pn1']],
    ['dana', 'admin', ['pn1']],
  ] as [string, Role, string[]][],
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

/** Rejects with `what` if `p` has not settled within `ms`, so a silent relay fails the test. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

interface Sock {
  ws: WebSocket
  messages: Uint8Array[]
  closed: Promise<{ code: number; reason: string }>
  /** The first message from index `from` on that passes `test`; null once the socket closed. */
  next(test: (m: Uint8Array) => boolean, from?: number): Promise<Uint8Array | null>
}

/** A raw socket of `token` to `room` (`params` like `&ack=1&device=x`). */
function connect(relay: LocalRelay, room: string, token: string, params = ''): Sock {
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/sync/${room}?token=${token}${params}`)
  const messages: Uint8Array[] = []
  const waiters = new Set<() => void>()
  let isClosed = false
  ws.on('error', () => {})
  ws.on('message', (data: Buffer) => {
    messages.push(new Uint8Array(data))
    for (const w of [...waiters]) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      isClosed = true
      for (const w of [...waiters]) w()
      resolve({ code, reason: reason.toString() })
    }),
  )
  const next = (test: (m: Uint8Array) => boolean, from = 0) =>
    new Promise<Uint8Array | null>((resolve) => {
      const check = () => {
        const found = messages.slice(from).find(test)
        if (found || isClosed) {
          waiters.delete(check)
          resolve(found ?? null)
        }
      }
      waiters.add(check)
      check()
    })
  return { ws, messages, closed, next }
}

/** Connects and waits for the relay's sync step 1; throws with the close code if refused. */
async function open(relay: LocalRelay, room: string, token: string, params = '') {
  const s = connect(relay, room, token, params)
  const first = await within(
    s.next(() => true),
    5000,
    `socket to ${room}`,
  )
  if (!first) throw new Error(`socket to ${room} refused: ${(await s.closed).code}`)
  return s
}

/** A mark of `conversation` by `memberId` as `deviceId`, as a replica's update, and its client. */
function mark(memberId: string, deviceId: string, conversation: string) {
  const doc = new Y.Doc()
  markConversation(doc, conversation, 'done', {
    memberId,
    deviceId,
    clock: createHlc(deviceId),
  })
  return { update: Y.encodeStateAsUpdate(doc), client: doc.clientID }
}

/** Sends a mark on `s` (opened with ack=1): null once acknowledged, else the close code. */
async function write(s: Sock, m: ReturnType<typeof mark>): Promise<number | null> {
  const from = s.messages.length
  s.ws.send(syncFrame(2, m.update))
  const acked = s.next((x) => x[0] === MessageType.Ack && decodeAck(x)?.clientId === m.client, from)
  // `next` answers null once the socket closed: the close code is then the answer.
  return within(
    acked.then(async (x) => (x ? null : (await s.closed).code)),
    5000,
    'ack or close',
  )
}

/** A presence (awareness) frame of one state. */
const presence = (clientId: number, state: unknown) =>
  awarenessFrame(
    frame((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint(e, clientId)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, JSON.stringify(state))
    }),
  )

/** Every presence state `s` received for `clientId`. */
function presenceOf(s: Sock, clientId: number): Record<string, unknown>[] {
  const states: Record<string, unknown>[] = []
  for (const m of s.messages) {
    if (m[0] !== MessageType.Awareness) continue
    const d = decoding.createDecoder(m)
    decoding.readVarUint(d)
    const payload = decoding.createDecoder(decoding.readVarUint8Array(d))
    const n = decoding.readVarUint(payload)
    for (let i = 0; i < n; i++) {
      const id = decoding.readVarUint(payload)
      decoding.readVarUint(payload)
      const state = JSON.parse(decoding.readVarString(payload)) as Record<string, unknown> | null
      if (id === clientId && state) states.push(state)
    }
  }
  return states
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

/** The session id (`sid`) an access token names [S1]. */
const sessionOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid

/** The close code `s` gets within `ms`, or null if it stays open. */
const closeWithin = (s: Sock, ms: number) =>
  Promise.race([
    s.closed.then((c) => c.code),
    new Promise<null>((r) => setTimeout(() => r(null), ms)),
  ])

const mode = (path: string) => statSync(path).mode & 0o777

describe('issue 20 findings against the real relay over SQLite', () => {
  it("[L1][L2][L3] finding \"a member can lock a teammate's device out\": a device Bob declares or announces is his; Carol's mark under it gets 4422, her socket declaring it 4423, and Bob's marks under it — in a number Carol cannot see too — are acknowledged", async () => {
    const relay = await startLocalRelay({ workspace })
    await relay.relay.ingest(activity('a1', 'c1', 'pn1'))
    await relay.relay.ingest(activity('a2', 'c2', 'pn2'))
    await relay.relay.ingest(activity('a3', 'c3', 'pn1'))
    const bob = (await login(relay.url, 'bob@example.com')).token
    const carol = (await login(relay.url, 'carol@example.com')).token

    // [L1] Bob's web replica declares its device on connect.
    const bobWeb = await open(relay, 'inbox:pn1', bob, '&ack=1&device=bob-web')
    expect(relay.storage.getDeviceOwner('bob-web')).toBe('bob')
    const carol1 = await open(relay, 'inbox:pn1', carol, '&ack=1')
    expect(await write(carol1, mark('carol', 'bob-web', 'c1'))).toBe(4422)
    const squatter = connect(relay, 'inbox:pn1', carol, '&ack=1&device=bob-web')
    const refused = await within(squatter.closed, 5000, 'socket declaring bob-web')
    expect(refused.code).toBe(4423)
    expect(squatter.messages).toEqual([])
    expect(await write(bobWeb, mark('bob', 'bob-web', 'c1'))).toBeNull()
    const bobOther = await open(relay, 'inbox:pn2', bob, '&ack=1&device=bob-web')
    expect(await write(bobOther, mark('bob', 'bob-web', 'c2'))).toBeNull()

    // [L2] An older replica of Bob's declares nothing but announces its device in presence;
    // Carol sees it and writes under it first.
    const carol2 = await open(relay, 'inbox:pn1', carol, '&ack=1')
    const bobPhone = await open(relay, 'inbox:pn1', bob, '&ack=1')
    bobPhone.ws.send(presence(7001, { deviceId: 'bob-phone', viewing: null }))
    await within(
      carol2.next(() => presenceOf(carol2, 7001).length > 0),
      5000,
      "Bob's presence",
    )
    expect(presenceOf(carol2, 7001)[0]).toMatchObject({ deviceId: 'bob-phone', memberId: 'bob' })
    expect(relay.storage.getDeviceOwner('bob-phone')).toBe('bob')
    expect(await write(carol2, mark('carol', 'bob-phone', 'c3'))).toBe(4422)
    expect(await write(bobPhone, mark('bob', 'bob-phone', 'c3'))).toBeNull()

    // [L2] Carol announcing Bob's device: her state reaches Bob without it, the binding stays.
    const carol3 = await open(relay, 'inbox:pn1', carol, '&ack=1')
    carol3.ws.send(presence(7002, { deviceId: 'bob-web', viewing: 'c1' }))
    await within(
      bobWeb.next(() => presenceOf(bobWeb, 7002).length > 0),
      5000,
      "Carol's presence",
    )
    const shown = presenceOf(bobWeb, 7002)[0]!
    expect(shown).toMatchObject({ memberId: 'carol', viewing: 'c1' })
    expect(shown).not.toHaveProperty('deviceId')
    expect(relay.storage.getDeviceOwner('bob-web')).toBe('bob')

    // [L3] A device nobody has shown is still bound by its member's first write.
    expect(await write(carol3, mark('carol', 'carol-cli', 'c1'))).toBeNull()
    expect(relay.storage.getDeviceOwner('carol-cli')).toBe('carol')
    for (const s of [bobWeb, bobOther, bobPhone, carol3]) s.ws.close()
    await relay.close()
  })

  it('[S7][S9] finding "an admin can create owners and revoke the owner\'s access": every change about owners by an admin is 403 and changes nothing; the owner\'s socket stays open', async () => {
    const relay = await startLocalRelay({ workspace })
    const alice = (await login(relay.url, 'alice@example.com')).token
    const dana = (await login(relay.url, 'dana@example.com')).token
    const aliceSocket = await open(relay, 'inbox:pn1', alice)
    const newOwner = {
      email: 'eve@example.com',
      name: 'Eve',
      role: 'owner',
      password: 'a-long-password',
    }
    const attempts: [string, Response][] = [
      ['create an owner', await api(relay, '/api/admin/members', dana, newOwner)],
      [
        'make a member an owner',
        await api(relay, '/api/admin/members/carol', dana, { role: 'owner' }, 'PATCH'),
      ],
      [
        'demote the owner',
        await api(relay, '/api/admin/members/alice', dana, { role: 'member' }, 'PATCH'),
      ],
      [
        "revoke the owner's access",
        await api(
          relay,
          '/api/admin/access',
          dana,
          { memberId: 'alice', phoneNumberId: 'pn1' },
          'DELETE',
        ),
      ],
      ['remove the owner', await api(relay, '/api/admin/members/alice', dana, undefined, 'DELETE')],
      [
        "reset the owner's password",
        await api(relay, '/api/admin/members/alice/password', dana, {
          password: 'taken-over-1234',
        }),
      ],
      [
        "end the owner's sessions",
        await api(relay, '/api/admin/members/alice/sessions', dana, undefined, 'DELETE'),
      ],
    ]
    const statuses = Object.fromEntries(attempts.map(([what, res]) => [what, res.status]))
    expect(statuses).toEqual(Object.fromEntries(attempts.map(([what]) => [what, 403])))
    const created = (await attempts[0]![1].json()) as { field?: string }
    expect(created.field).toBe('role')
    // Nothing changed: no Eve, roles as seeded, the owner's access, socket and session intact.
    expect(relay.storage.getMemberByEmail('eve@example.com')).toBeNull()
    expect(relay.storage.getMember('carol')?.role).toBe('member')
    expect(relay.storage.getMember('alice')?.role).toBe('owner')
    expect(await closeWithin(aliceSocket, 300)).toBeNull()
    expect((await api(relay, '/api/me', alice)).status).toBe(200)
    ;(await open(relay, 'inbox:pn1', alice)).ws.close()
    // What an admin may do still works, and an owner makes owners.
    const member = await api(relay, '/api/admin/members', dana, {
      ...newOwner,
      email: 'max@example.com',
      role: 'member',
    })
    expect(member.status).toBe(201)
    expect((await api(relay, '/api/admin/members', alice, newOwner)).status).toBe(201)
    aliceSocket.ws.close()
    await relay.close()
  })

  it('[S5][S10][S11] finding "members cannot be off-boarded" (role, sessions, password; removal and refresh are in auth.test.ts): a role change closes sockets with 4401 and they rejoin read-only; revoking one session closes only its sockets (4410); a password reset ends every session', async () => {
    const relay = await startLocalRelay({ workspace })
    await relay.relay.ingest(activity('a1', 'c1', 'pn1'))
    const alice = (await login(relay.url, 'alice@example.com')).token
    const laptop = (await login(relay.url, 'carol@example.com')).token
    const phone = (await login(relay.url, 'carol@example.com')).token

    const before = [await open(relay, 'inbox:pn1', laptop), await open(relay, 'contacts', phone)]
    const t0 = Date.now()
    const demoted = await api(relay, '/api/admin/members/carol', alice, { role: 'viewer' }, 'PATCH')
    expect(demoted.status).toBe(200)
    const codes = await within(
      Promise.all(before.map((s) => s.closed.then((c) => c.code))),
      1000,
      'sockets closed on a role change',
    )
    expect(codes).toEqual([4401, 4401])
    expect(Date.now() - t0).toBeLessThan(1000)
    const asViewer = await open(relay, 'inbox:pn1', laptop, '&ack=1')
    expect(await write(asViewer, mark('carol', 'carol-web', 'c1'))).toBe(4422)

    const onLaptop = await open(relay, 'inbox:pn1', laptop)
    const onPhone = await open(relay, 'inbox:pn1', phone)
    const listed = (await (
      await api(relay, '/api/admin/members/carol/sessions', alice)
    ).json()) as {
      sessions: { id: string }[]
    }
    expect(listed.sessions.map((s) => s.id).sort()).toEqual(
      [sessionOf(laptop), sessionOf(phone)].sort(),
    )
    const ended = await api(
      relay,
      `/api/admin/members/carol/sessions/${sessionOf(laptop)}`,
      alice,
      undefined,
      'DELETE',
    )
    expect(((await ended.json()) as { ended: string[] }).ended).toEqual([sessionOf(laptop)])
    expect(await closeWithin(onLaptop, 1000)).toBe(4410)
    expect(await closeWithin(onPhone, 200)).toBeNull()
    expect((await api(relay, '/api/me', laptop)).status).toBe(401)
    expect((await api(relay, '/api/me', phone)).status).toBe(200)

    const reset = await api(relay, '/api/admin/members/carol/password', alice, {
      password: 'a-new-password-20',
    })
    expect(reset.status).toBe(200)
    expect(await closeWithin(onPhone, 1000)).toBe(4410)
    expect((await api(relay, '/api/me', phone)).status).toBe(401)
    const oldPassword = await api(relay, '/api/login', null, {
      email: 'carol@example.com',
      password: PASSWORD,
    })
    const newPassword = await api(relay, '/api/login', null, {
      email: 'carol@example.com',
      password: 'a-new-password-20',
    })
    expect([oldPassword.status, newPassword.status]).toEqual([401, 200])
    await relay.close()
  })

  it('[L4] finding "no cap on sockets per member (400 from one token)": with the default cap, the 101st socket of one member gets 4529 before any byte; others are not counted with them, and a freed slot is reusable', async () => {
    const relay = await startLocalRelay({ workspace })
    const cap = relay.relay.maxSocketsPerMember
    expect(cap).toBe(100)
    const bob = (await login(relay.url, 'bob@example.com')).token
    const carol = (await login(relay.url, 'carol@example.com')).token
    const mine = await Promise.all(Array.from({ length: cap }, () => open(relay, 'workspace', bob)))
    const over = connect(relay, 'workspace', bob)
    expect((await within(over.closed, 5000, 'the socket past the cap')).code).toBe(4529)
    expect(over.messages).toEqual([])
    const other = await open(relay, 'workspace', carol)
    mine[0]!.ws.close()
    await mine[0]!.closed
    await waitFor(() => relay.relay.connectionCount() <= cap, 'the freed socket', 5000)
    const again = await open(relay, 'workspace', bob)
    for (const s of [...mine, other, again]) s.ws.close()
    await relay.close()
  })

  it('[A8] finding "/metrics needs no login": with METRICS_TOKEN set, 401 without it or with a wrong one, 200 with it; without a token, loopback only (403 from another address)', async () => {
    const token = 'metrics-token-0123456789'
    const withToken = await startLocalRelay({ workspace, metricsToken: token })
    const get = (url: string, bearer?: string) =>
      fetch(`${url}/metrics`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} })
    const none = await get(withToken.url)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    expect((await get(withToken.url, 'metrics-token-wrong-45678')).status).toBe(401)
    const ok = await get(withToken.url, token)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toMatch(/^switchboard_/m)
    await withToken.close()

    const loopback = await startLocalRelay({ workspace })
    expect((await get(loopback.url)).status).toBe(200)
    await loopback.close()
    // A relay bound to this host's non-loopback address sees that address as the client's.
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address
    if (!address) {
      console.warn('[findings20] no non-loopback IPv4 address: the 403 case of [A8] is not run')
      return
    }
    const exposed = await startLocalRelay({ workspace, host: address })
    const far = await get(exposed.url)
    expect(far.status).toBe(403)
    expect(((await far.json()) as { error: string }).error).toMatch(/loopback/)
    await exposed.close()
  })

  it('[A9] finding "the store file is world-readable": the SQLite store and its -wal/-shm are 0600, an older 0644 store is narrowed as it opens, and the operator\'s relay process keeps DATA_DIR 0700 and its secrets and pid file 0600', async () => {
    let relay = await startLocalRelay({ workspace })
    await relay.relay.ingest(activity('a1', 'c1', 'pn1'))
    const db = join(relay.dataDir, 'relay.db')
    const files = [db, `${db}-wal`, `${db}-shm`]
    expect(files.map((f) => [f, mode(f)])).toEqual(files.map((f) => [f, 0o600]))
    await relay.close()
    for (const f of files) if (existsSync(f)) chmodSync(f, 0o644)
    relay = await startLocalRelay({ dataDir: relay.dataDir })
    await relay.relay.ingest(activity('a2', 'c2', 'pn1'))
    expect(files.map((f) => [f, mode(f)])).toEqual(files.map((f) => [f, 0o600]))
    await relay.close()

    // The operator's process makes DATA_DIR itself and generates its secrets there.
    const dataDir = join(tempDir('modes'), 'data')
    const proc = await spawnRelay({
      DATA_DIR: dataDir,
      PORT: '0',
      DEMO: '0',
      SWITCHBOARD_SECRET: '',
      WEBHOOK_SECRET: '',
    })
    try {
      const made = ['switchboard-secret', 'webhook-secret', 'relay.pid', 'relay.db']
      const got = Object.fromEntries(made.map((f) => [f, mode(join(dataDir, f))]))
      for (const f of ['relay.db-wal', 'relay.db-shm'])
        if (existsSync(join(dataDir, f))) got[f] = mode(join(dataDir, f))
      expect(mode(dataDir)).toBe(0o700)
      expect(got).toEqual(Object.fromEntries(Object.keys(got).map((f) => [f, 0o600])))
    } finally {
      proc.child.kill('SIGTERM')
      await proc.exited
    }
  })

  it('[A6] finding "webhook timestamps in year 9999 are accepted": an activity more than 5 minutes ahead is 400 naming `at` (`[i].at` in a batch, nothing of it applied); one of last year or a minute ahead is 202', async () => {
    const relay = await startLocalRelay({ workspace })
    const post = async (body: unknown) => {
      const raw = JSON.stringify(body)
      const res = await fetch(`${relay.url}/api/webhooks/activity`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-switchboard-signature': webhookSignature(raw),
        },
        body: raw,
      })
      return { status: res.status, body: (await res.json()) as { field?: string } }
    }
    const far = { ...activity('f1', 'c-far', 'pn1'), at: Date.UTC(9999, 0, 1) }
    expect(await post(far)).toMatchObject({ status: 400, body: { field: 'at' } })
    const tenMinutes = { ...activity('f2', 'c-ahead', 'pn1'), at: Date.now() + 10 * 60_000 }
    expect(await post(tenMinutes)).toMatchObject({ status: 400, body: { field: 'at' } })
    const batch = [activity('b1', 'c-batch', 'pn1'), { ...far, id: 'b2' }]
    expect(await post(batch)).toMatchObject({ status: 400, body: { field: '[1].at' } })
    for (const c of ['c-far', 'c-ahead', 'c-batch'])
      expect(relay.storage.getConversationPhoneNumber(c), c).toBeNull()

    const lastYear = { ...activity('o1', 'c-old', 'pn1'), at: Date.now() - 365 * 86_400_000 }
    expect((await post(lastYear)).status).toBe(202)
    const skewed = { ...activity('o2', 'c-skewed', 'pn1'), at: Date.now() + 60_000 }
    expect((await post(skewed)).status).toBe(202)
    for (const c of ['c-old', 'c-skewed'])
      expect(relay.storage.getConversationPhoneNumber(c), c).toBe('pn1')
    await relay.close()
  })

  it("[A7] finding \"the web app sends no security headers and can be framed\": the app, its assets, its SPA routes and the API carry a CSP with frame-ancestors 'none' and only the app's own scripts, nosniff, DENY, no-referrer", async () => {
    const webDir = tempDir('web')
    const bootstrap = 'window.__boot = 1'
    writeFileSync(
      join(webDir, 'index.html'),
      `<!doctype html><html><head><script>${bootstrap}</script>` +
        '<script type="module" src="/app/start.js"></script></head><body></body></html>',
    )
    mkdirSync(join(webDir, 'app'))
    writeFileSync(join(webDir, 'app/start.js'), 'console.log(1)\n')
    const relay = await startLocalRelay({ workspace, webDir })
    const hash = `'sha256-${createHash('sha256').update(bootstrap, 'utf8').digest('base64')}'`
    const pages: [string, number][] = [
      ['/', 200],
      ['/app/start.js', 200],
      ['/inbox/pn1', 200],
      ['/api/me', 401],
      ['/healthz', 200],
    ]
    for (const [path, status] of pages) {
      const res = await fetch(`${relay.url}${path}`)
      expect(res.status, path).toBe(status)
      const csp = Object.fromEntries(
        (res.headers.get('content-security-policy') ?? '')
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(' ')]),
      )
      expect(csp['frame-ancestors'], path).toBe("'none'")
      expect(csp['script-src'], path).toBe(`'self' ${hash}`)
      expect(csp['object-src'], path).toBe("'none'")
      expect(csp['base-uri'], path).toBe("'self'")
      expect(
        {
          nosniff: res.headers.get('x-content-type-options'),
          frame: res.headers.get('x-frame-options'),
          referrer: res.headers.get('referrer-policy'),
          opener: res.headers.get('cross-origin-opener-policy'),
        },
        path,
      ).toEqual({
        nosniff: 'nosniff',
        frame: 'DENY',
        referrer: 'no-referrer',
        opener: 'same-origin',
      })
      if (path === '/') expect(await res.text()).toContain(bootstrap)
      else await res.arrayBuffer()
    }
    await relay.close()
  })
})
