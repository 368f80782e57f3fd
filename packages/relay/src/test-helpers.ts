/**
 * @module The relay package's test helpers: the harness's relay (src/testing/) with a small
 * workspace and login/webhook calls, y-websocket clients, raw sockets.
 */
import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createHlc, type Activity, type Author } from '@switchboard/core'
import type { RelayServerOptions } from './node/server.ts'
import { startTestRelayServer, type TestRelayServer, type TestWorkspace } from './testing/index.ts'
import { createSqliteStorage } from './storage/sqlite.ts'
import { decodeMessage, encodeUpdate, MessageType, readAck } from '@switchboard/protocol'
import type { Peer } from './room.ts'

export const PASSWORD = 'demo-password'
export const WEBHOOK_SECRET = 'test-webhook-secret'
export const SECRET = 'test-secret-0123456789abcdef'

/** What `POST /api/login` answers. */
export interface LoginBody {
  token: string
  expiresAt: number
  refreshToken: string
  sessionExpiresAt: number
  member: { id: string; role: string }
}

export interface TestRelay extends TestRelayServer {
  login(email: string): Promise<string>
  /** Logs in and returns the whole answer (access and refresh tokens). */
  session(email: string): Promise<LoginBody>
  webhook(body: unknown, secret?: string): Promise<Response>
}

/** The relay package's workspace: owner alice (pn-a, pn-b), carol (pn-a), erin (pn-b), vic (viewer, pn-a). */
export const WORKSPACE: TestWorkspace = {
  password: PASSWORD,
  phoneNumbers: [
    { id: 'pn-a', name: 'Support', number: '+14155550142' },
    { id: 'pn-b', name: 'Sales', number: '+14155550100' },
  ],
  members: [
    { id: 'alice', role: 'owner', phoneNumbers: ['pn-a', 'pn-b'] },
    { id: 'carol', role: 'member', phoneNumbers: ['pn-a'] },
    { id: 'erin', role: 'member', phoneNumbers: ['pn-b'] },
    { id: 'vic', role: 'viewer', phoneNumbers: ['pn-a'] },
  ],
}

/** The harness's relay (production server setup, memory store by default) with WORKSPACE. */
export async function startTestRelay(
  options: Partial<RelayServerOptions> = {},
): Promise<TestRelay> {
  const srv = await startTestRelayServer({
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    workspace: WORKSPACE,
    ...options,
  })
  const session = async (email: string) => {
    const res = await fetch(`${srv.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    })
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`)
    return (await res.json()) as LoginBody
  }
  const login = async (email: string) => (await session(email)).token
  const webhook = (body: unknown, secret = WEBHOOK_SECRET) => {
    const raw = JSON.stringify(body)
    return fetch(`${srv.url}/api/webhooks/activity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-signature': sign(raw, secret) },
      body: raw,
    })
  }
  return { ...srv, login, session, webhook }
}

export const sign = (raw: string, secret = WEBHOOK_SECRET) =>
  'sha256=' + createHmac('sha256', secret).update(raw).digest('hex')

let activitySeq = 0
export function incoming(
  conversationId: string,
  phoneNumberId: string,
  extra: Partial<Activity> = {},
): Activity {
  return {
    id: `act-${process.pid}-${++activitySeq}`,
    conversationId,
    phoneNumberId,
    direction: 'incoming',
    kind: 'message',
    from: '+15555550123',
    to: '+14155550142',
    body: 'Hello, is my order shipped?',
    at: Date.now(),
    ...extra,
  }
}

export function author(memberId: string, deviceId = `dev-${memberId}`): Author {
  return { memberId, deviceId, clock: createHlc(deviceId) }
}

export interface Client {
  doc: Y.Doc
  provider: WebsocketProvider
  synced: Promise<void>
  closes: { code: number; reason: string }[]
  destroy(): void
}

/** An unmodified y-websocket provider in Node. */
export function connectProvider(
  url: string,
  room: string,
  token: string,
  params: Record<string, string> = {},
): Client {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, {
    params: { token, ...params },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  })
  const closes: { code: number; reason: string }[] = []
  provider.on('connection-close', (event) => {
    if (event) closes.push({ code: event.code, reason: event.reason })
  })
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve()
    provider.once('sync', () => resolve())
  })
  return {
    doc,
    provider,
    synced,
    closes,
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  }
}

export interface RawSocket {
  ws: WebSocket
  opened: Promise<void>
  closed: Promise<{ code: number; reason: string }>
  messages: Uint8Array[]
  /** Resolves with the first received message matching `pred`. */
  next(pred: (m: Uint8Array) => boolean): Promise<Uint8Array>
}

export function rawSocket(url: string, headers: Record<string, string> = {}): RawSocket {
  const ws = new WebSocket(url, { headers })
  const messages: Uint8Array[] = []
  const waiters: { pred: (m: Uint8Array) => boolean; resolve: (m: Uint8Array) => void }[] = []
  ws.on('error', () => {})
  ws.on('message', (data: Buffer) => {
    const m = new Uint8Array(data)
    messages.push(m)
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
  })
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  opened.catch(() => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  return {
    ws,
    opened,
    closed,
    messages,
    next(pred) {
      const found = messages.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => waiters.push({ pred, resolve }))
    },
  }
}

/** Resolves when `check` passes, polling on every macrotask turn (no fixed sleeps). */
export async function until(
  check: () => boolean,
  what = 'condition',
  limitMs = 10_000,
): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Registers the ack handler on an `ack=1` provider; `acked()` waits until the relay stored every local change. */
export function trackAcks(c: Client): { acked(): Promise<void>; clock(): number } {
  let stored = 0
  c.provider.messageHandlers[MessageType.Ack] = (_encoder, decoder) => {
    const { clientId, clock } = readAck(decoder)
    if (clientId === c.doc.clientID) stored = Math.max(stored, clock)
  }
  return {
    clock: () => stored,
    acked: () => {
      const target = Y.getState(c.doc.store, c.doc.clientID)
      return until(() => stored >= target, `ack of clock ${target}`)
    },
  }
}

/** Updates `doc` emits while `fn` runs. */
export function updatesOf(doc: Y.Doc, fn: () => void): Uint8Array[] {
  const out: Uint8Array[] = []
  const on = (u: Uint8Array) => out.push(u)
  doc.on('update', on)
  fn()
  doc.off('update', on)
  return out
}

/** Sends one update as `who` to `room`; resolves with the close code, or null if the socket stayed open. */
export async function sendUpdateAs(
  r: TestRelay,
  room: string,
  who: string,
  update: Uint8Array,
): Promise<number | null> {
  const s = rawSocket(`${r.wsUrl}/${room}?token=${await r.login(`${who}@example.com`)}`)
  await s.opened
  await s.next(() => true) // the relay's sync step 1
  s.ws.send(encodeUpdate(update))
  const code = await Promise.race([
    s.closed.then((c) => c.code),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 300)),
  ])
  s.ws.close()
  return code
}

/** A room peer that keeps every frame the room sends it. */
export function recordingPeer(): Peer & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = []
  return {
    memberId: 'm-alice',
    memberName: 'Alice',
    wantsAcks: false,
    awarenessClientId: null,
    frames,
    send: (f) => frames.push(f),
    close: () => {},
  }
}

/** Applies `frames` to a fresh doc; with `untilSynced`, stops after the first sync step 2. */
export function applyFrames(frames: Uint8Array[], untilSynced: boolean): Y.Doc {
  const doc = new Y.Doc()
  for (const f of frames) {
    const m = decodeMessage(f)
    if (m.type !== 'update') throw new Error(`unexpected ${m.type}`)
    Y.applyUpdate(doc, m.update)
    if (untilSynced && m.step === 'step-2') return doc
  }
  if (untilSynced) throw new Error('no sync step 2 was sent')
  return doc
}

/**
 * A relay on a fresh SQLite file with bob (admin) besides the harness's members; `cleanup`
 * receives its close.
 */
export async function startSqliteRelayWithAdmin(
  cleanup: (fn: () => unknown) => void,
  options: Partial<RelayServerOptions> = {},
): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-sqlite-'))
  const r = await startTestRelay({
    storage: createSqliteStorage({ path: join(dir, 'relay.db') }),
    ...options,
  })
  cleanup(() => r.close())
  await r.relay.admin.createMember({
    id: 'bob',
    email: 'bob@example.com',
    name: 'bob',
    role: 'admin',
    password: PASSWORD,
  })
  return r
}

/** An HTTP call to the relay: JSON body (POST unless `method`), Bearer `token`. */
export const api = (
  r: TestRelay,
  path: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
) =>
  fetch(`${r.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
