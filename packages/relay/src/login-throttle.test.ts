import { createNodeWebSocket } from './node/ws-upgrade.ts'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { HashSlots, LoginThrottle } from './login-throttle.ts'
import { createRelay, type Relay, type RelayOptions } from './relay.ts'
import { createMemoryStorage } from './storage/memory.ts'
import { PASSWORD, SECRET, WEBHOOK_SECRET } from './test-helpers.ts'

const limits = { perEmail: 3, perIp: 10, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 8000 }

/** A relay whose clock the test moves, with owner alice; the client address is `x-address`. */
async function relayAt(clock: { t: number }, options: Partial<RelayOptions> = {}) {
  const relay = createRelay({
    storage: createMemoryStorage(),
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    upgradeWebSocket: createNodeWebSocket(new Hono()).upgradeWebSocket,
    loginLimit: limits,
    now: () => clock.t,
    clientIp: (c) => c.req.header('x-address'),
    log: () => {},
    ...options,
  })
  await relay.admin.createMember({
    id: 'alice',
    email: 'alice@example.com',
    name: 'Alice',
    role: 'owner',
    password: PASSWORD,
  })
  return relay
}

const login = async (
  relay: Relay,
  address: string,
  password: string,
  email = 'alice@example.com',
): Promise<Response> =>
  relay.app.request('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-address': address },
    body: JSON.stringify({ email, password }),
  })

describe('LoginThrottle', () => {
  it('[A1] counts an attempt when it is admitted, so the fourth of four at once waits', () => {
    const t = new LoginThrottle(limits)
    const admitted = [1, 2, 3, 4].map(() => t.admit('a@x', '198.51.100.1', 0).ok)
    expect(admitted).toEqual([true, true, true, false])
  })

  it('[A3] past the allowance each attempt doubles the wait, up to maxDelayMs', () => {
    const t = new LoginThrottle(limits)
    const waits: number[] = []
    let now = 0
    for (let i = 0; i < 9; i++) {
      const a = t.admit('a@x', `198.51.100.${i}`, now)
      if (a.ok) {
        waits.push(0)
        continue
      }
      waits.push(a.retryAfterMs)
      now += a.retryAfterMs
      expect(t.admit('a@x', `198.51.100.${i}`, now).ok).toBe(true)
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000])
  })

  it('[A3] a key is forgotten windowMs after its wait ends', () => {
    const t = new LoginThrottle(limits)
    for (let i = 0; i < 3; i++) t.admit('a@x', '198.51.100.1', 0)
    expect(t.admit('a@x', '198.51.100.2', 500).ok).toBe(false)
    expect(t.admit('a@x', '198.51.100.2', 1000 + 60_000).ok).toBe(true)
    // Fresh again: two more before the next wait.
    expect(t.admit('a@x', '198.51.100.2', 1000 + 60_000).ok).toBe(true)
  })

  it('[A4] an address where the member signed in is throttled by its own attempts only', () => {
    const t = new LoginThrottle(limits)
    const home = t.admit('a@x', '203.0.113.5', 0)
    if (!home.ok) throw new Error('first attempt')
    t.succeeded(home.ticket, 0)
    for (let i = 0; i < 3; i++) t.admit('a@x', `198.51.100.${i}`, 1)
    expect(t.admit('a@x', '198.51.100.200', 2)).toMatchObject({ ok: false, limitedBy: 'email' })
    expect(t.admit('a@x', '203.0.113.5', 2).ok).toBe(true)
  })

  it('[A2] a login with no hash slot is not counted', () => {
    const t = new LoginThrottle(limits)
    for (let i = 0; i < 3; i++) {
      const a = t.admit('a@x', '198.51.100.1', 0)
      if (a.ok) t.cancel(a.ticket)
    }
    expect(t.admit('a@x', '198.51.100.1', 0).ok).toBe(true)
  })
})

describe('HashSlots', () => {
  it('[A2] runs `size` at once, queues `queued`, refuses the rest at once', async () => {
    const slots = new HashSlots(2, 1)
    const release: (() => void)[] = []
    const task = () => new Promise<void>((r) => release.push(r))
    const runs = [1, 2, 3, 4].map(() => slots.run(task))
    expect(runs.map((r) => r !== null)).toEqual([true, true, true, false])
    await Promise.resolve()
    expect(slots.load).toEqual({ running: 2, waiting: 1 })
    release.shift()!()
    await runs[0]
    await new Promise((r) => setTimeout(r, 0))
    expect(slots.load).toEqual({ running: 2, waiting: 0 })
    for (const r of release.splice(0)) r()
    await Promise.all(runs.slice(1, 3))
    expect(slots.load).toEqual({ running: 0, waiting: 0 })
  })
})

describe('HashSlots lanes', () => {
  it('[A2] a login from a known address is hashed before the queued others, in a lane of its own', async () => {
    const slots = new HashSlots(1, 2)
    const order: string[] = []
    let release = () => {}
    const hold = slots.run(() => new Promise<void>((r) => (release = r)))
    const task = (name: string) => async () => void order.push(name)
    const runs = [slots.run(task('guess 1')), slots.run(task('guess 2'))]
    expect(slots.run(task('guess 3'))).toBeNull()
    const owner = slots.run(task('owner'), true)
    expect(owner).not.toBeNull()
    await Promise.resolve()
    release()
    await Promise.all([hold, owner, ...runs])
    expect(order).toEqual(['owner', 'guess 1', 'guess 2'])
  })
})

describe('POST /api/login throttling', () => {
  it('[A1] of 20 parallel wrong passwords for one email, only the allowance is checked', async () => {
    const relay = await relayAt({ t: 0 })
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => login(relay, '198.51.100.1', 'wrong').then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 401)).toHaveLength(limits.perEmail)
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - limits.perEmail)
    expect(relay.metrics.authFailures.get('login')).toBe(limits.perEmail)
  })

  it('[A2] past the hash queue a login gets 429 with Retry-After: 1 at once', async () => {
    const relay = await relayAt(
      { t: 0 },
      { loginLimit: { ...limits, perIp: 100, concurrentHashes: 1, queuedHashes: 1 } },
    )
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login(relay, '198.51.100.1', 'x', `u${i}@example.com`)),
    )
    const busy = responses.filter((r) => r.status === 429)
    expect(responses.filter((r) => r.status === 401)).toHaveLength(2)
    expect(busy).toHaveLength(4)
    expect(busy.map((r) => r.headers.get('retry-after'))).toEqual(['1', '1', '1', '1'])
    expect(await busy[0]!.json()).toEqual({
      error: 'too many logins in progress, try again in a second',
    })
  })

  it('[A3] after the allowance the email waits 1 s, then 2 s: never a fixed lock-out', async () => {
    const clock = { t: 0 }
    const relay = await relayAt(clock)
    for (let i = 0; i < 3; i++)
      expect((await login(relay, '198.51.100.1', 'wrong')).status).toBe(401)
    const limited = await login(relay, '198.51.100.7', PASSWORD)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    clock.t += 1000
    expect((await login(relay, '198.51.100.1', 'wrong')).status).toBe(401)
    expect((await login(relay, '198.51.100.7', PASSWORD)).headers.get('retry-after')).toBe('2')
    clock.t += 2000
    // The owner, from a new address, once the wait is over.
    expect((await login(relay, '198.51.100.7', PASSWORD)).status).toBe(200)
  })

  it('[A4] the owner signs in from a known address while the email is under attack', async () => {
    const relay = await relayAt({ t: 0 })
    expect((await login(relay, '203.0.113.5', PASSWORD)).status).toBe(200)
    for (let i = 0; i < 10; i++) await login(relay, `198.51.100.${i}`, 'wrong')
    expect((await login(relay, '198.51.100.50', PASSWORD)).status).toBe(429)
    expect((await login(relay, '203.0.113.5', PASSWORD)).status).toBe(200)
    // Wrong passwords from the known address are throttled on their own.
    for (let i = 0; i < 3; i++)
      expect((await login(relay, '203.0.113.5', 'wrong')).status).toBe(401)
    expect((await login(relay, '203.0.113.5', PASSWORD)).status).toBe(429)
  })
})
