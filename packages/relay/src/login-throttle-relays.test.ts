/**
 * [A1]–[A4] over several relays: two relays (and a third started later) on one PostgreSQL store
 * share the login counts, waits and known addresses, so guesses spread over relays, in parallel
 * or after a restart, get no more attempts than against one relay.
 */
import { createNodeWebSocket } from './node/ws-upgrade.ts'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import type { LoginLimits } from './login-throttle.ts'
import { createRelay, type Relay } from './relay.ts'
import { createPostgresStorage, type PostgresStorage } from './storage/postgres.ts'
import { createTestDatabase } from './testing/postgres.ts'
import { PASSWORD, SECRET, WEBHOOK_SECRET } from './test-helpers.ts'

const limits = { perEmail: 3, perIp: 50, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 8000 }
const EMAIL = 'alice@example.com'

const open: Relay[] = []
afterAll(async () => {
  for (const relay of open) await relay.close().catch(() => {})
})

/** A relay on the store at `url` whose clock the test moves; the client address is `x-address`. */
async function relayOn(
  url: string,
  id: string,
  clock: { t: number },
  loginLimit: LoginLimits = limits,
): Promise<Relay> {
  const storage = await createPostgresStorage({ url, relayId: id, max: 4 })
  const relay = createRelay({
    storage,
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    upgradeWebSocket: createNodeWebSocket(new Hono()).upgradeWebSocket,
    loginLimit,
    now: () => clock.t,
    clientIp: (c) => c.req.header('x-address'),
    log: () => {},
  })
  open.push(relay)
  return relay
}

/** Resolves once the relay's directory cache holds Alice (written by another relay). */
const knowsAlice = (relay: Relay) =>
  new Promise<void>((resolve) => {
    const storage = relay.storage as PostgresStorage
    if (storage.getMemberByEmail(EMAIL)) return resolve()
    const stop = storage.onDirectoryChange(() => {
      if (!storage.getMemberByEmail(EMAIL)) return
      stop()
      resolve()
    })
  })

/** Relays a and b on a fresh database, owner Alice known to both. */
async function twoRelays(loginLimit: LoginLimits = limits) {
  const url = await createTestDatabase()
  const clock = { t: 1_000_000 }
  const a = await relayOn(url, 'a', clock, loginLimit)
  const b = await relayOn(url, 'b', clock, loginLimit)
  await a.admin.createMember({
    id: 'alice',
    email: EMAIL,
    name: 'Alice',
    role: 'owner',
    password: PASSWORD,
  })
  await knowsAlice(b)
  return { url, clock, a, b }
}

const login = async (
  relay: Relay,
  address: string,
  password: string,
  email = EMAIL,
): Promise<Response> =>
  relay.app.request('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-address': address },
    body: JSON.stringify({ email, password }),
  })

describe('login throttling shared by the relays of one PostgreSQL store', () => {
  it('[A1][A3] failures spread over two relays make the email wait at the allowance of one relay', async () => {
    const { a, b } = await twoRelays()
    expect((await login(a, '198.51.100.1', 'wrong')).status).toBe(401)
    expect((await login(b, '198.51.100.2', 'wrong')).status).toBe(401)
    expect((await login(a, '198.51.100.3', 'wrong')).status).toBe(401)
    // The third failure used the allowance up: the next attempt waits, on either relay.
    for (const relay of [a, b]) {
      const limited = await login(relay, '198.51.100.9', PASSWORD)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBe('1')
    }
  })

  it('[A1] parallel wrong passwords over both relays: only the allowance is hashed, the rest get 429', async () => {
    const { a, b } = await twoRelays()
    const statuses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        login(i % 2 ? b : a, `198.51.100.${i}`, 'wrong').then((r) => r.status),
      ),
    )
    expect(statuses.filter((s) => s === 401)).toHaveLength(limits.perEmail)
    expect(statuses.filter((s) => s === 429)).toHaveLength(16 - limits.perEmail)
    const hashed = [a, b].map((r) => r.metrics.authFailures.get('login') ?? 0)
    expect(hashed[0]! + hashed[1]!).toBe(limits.perEmail)
  })

  it('[A3] the wait doubles across relays, and a right password after it signs in on the other relay', async () => {
    const { clock, a, b } = await twoRelays()
    for (const relay of [a, b, a]) await login(relay, '198.51.100.1', 'wrong')
    clock.t += 1000
    expect((await login(b, '198.51.100.1', 'wrong')).status).toBe(401)
    expect((await login(a, '198.51.100.7', PASSWORD)).headers.get('retry-after')).toBe('2')
    clock.t += 2000
    expect((await login(b, '198.51.100.7', PASSWORD)).status).toBe(200)
    // The right password cleared the email's count for every relay.
    expect((await login(a, '198.51.100.8', 'wrong')).status).toBe(401)
    expect((await login(a, '198.51.100.8', PASSWORD)).status).toBe(200)
  })

  it('[A3] a relay started later (or restarted) still makes the email wait', async () => {
    const { url, clock, a, b } = await twoRelays()
    for (const relay of [a, b, a]) await login(relay, '198.51.100.1', 'wrong')
    const c = await relayOn(url, 'c', clock)
    await knowsAlice(c)
    expect((await login(c, '198.51.100.5', PASSWORD)).status).toBe(429)
  })

  it('[A4] an address known on one relay is known on the other while the email is under attack', async () => {
    const { a, b } = await twoRelays()
    expect((await login(a, '203.0.113.5', PASSWORD)).status).toBe(200)
    for (let i = 0; i < 5; i++) await login(i % 2 ? a : b, `198.51.100.${i}`, 'wrong')
    expect((await login(b, '198.51.100.50', PASSWORD)).status).toBe(429)
    expect((await login(b, '203.0.113.5', PASSWORD)).status).toBe(200)
    // Wrong passwords from the known address are throttled on their own, over both relays.
    for (const relay of [a, b, a])
      expect((await login(relay, '203.0.113.5', 'wrong')).status).toBe(401)
    expect((await login(b, '203.0.113.5', PASSWORD)).status).toBe(429)
  })

  it("[A2] a login past a relay's hash queue is not counted in the shared counts", async () => {
    const { a } = await twoRelays({ ...limits, concurrentHashes: 1, queuedHashes: 1 })
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        login(a, '198.51.100.1', 'x', `u${i}@example.com`).then((r) => r.status),
      ),
    )
    // Two are hashed at once (one running, one queued); a hash that ends before the last request
    // arrives lets a third in, so the rule is read off the answers: only hashed ones count.
    const hashed = statuses.filter((s) => s === 401).length
    expect(hashed).toBeGreaterThanOrEqual(2)
    expect(hashed).toBeLessThan(statuses.length)
    const sql = (a.storage as PostgresStorage).sql
    const [row] = await sql<{ count: number }[]>`
      select count from login_attempts where key = 'a 198.51.100.1'`
    expect(row?.count).toBe(hashed)
  })

  it('[A1] with PostgreSQL lost a login is refused with 503, never hashed uncounted', async () => {
    const { a } = await twoRelays()
    await (a.storage as PostgresStorage).sql.end({ timeout: 1 })
    const res = await login(a, '198.51.100.1', PASSWORD)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.json()).toEqual({
      error: 'sign-in is unavailable: the relay cannot reach its store, try again in a moment',
    })
    expect(a.metrics.authFailures.get('login') ?? 0).toBe(0)
  })
})
