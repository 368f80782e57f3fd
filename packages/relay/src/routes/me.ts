/**
 * @module A member's own profile: `PATCH /api/me {name}` and
 * `POST /api/me/password {currentPassword, password}` ([S12]); their sessions are in auth.ts.
 */
import { Hono, type Context } from 'hono'
import { AdminError } from '../admin.ts'
import type { Passwords } from '../auth.ts'
import { jsonError, readJson, requireMember, type Authenticate, type Vars } from '../http.ts'
import { admitAttempt, UNCOUNTED, type HashSlots, type LoginCounts } from '../login-throttle.ts'
import { publicMember, workspaceMember } from '../member-views.ts'
import type { Metrics } from '../metrics.ts'
import type { RelayStorage } from '../storage/relay-storage.ts'
import type { WriteWorkspace } from '../workspace-writes.ts'

export interface MeDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  /** The workspace's writes (several relays: made by its owner, scale/owner-requests.ts). */
  writeWorkspace: WriteWorkspace
  loginThrottle: LoginCounts
  hashSlots: HashSlots
  passwords: Passwords
  closeSessions(ids: Iterable<string>, reason: string): void
  now: () => number
  log: (event: Record<string, unknown>) => void
  clientIp: (c: Context) => string | undefined
}

/** Mounted at `/api`. */
export function meRoutes(deps: MeDeps): Hono<Vars> {
  const { storage, writeWorkspace, loginThrottle, hashSlots, closeSessions, now, log } = deps
  const app = new Hono<Vars>()
  const member = requireMember(deps.authenticate, deps.metrics)

  app.patch('/me', member, async (c) => {
    const { name } = await readJson(c)
    const trimmed = typeof name === 'string' ? name.trim() : ''
    if (!trimmed || trimmed.length > 100)
      throw new AdminError(400, 'name', 'must be a name of 1 to 100 characters')
    // The record as stored now, not as the request's authentication read it.
    const current = storage.getMember(c.get('member').id)!
    const changed = { ...current, name: trimmed }
    storage.putMember(changed)
    await writeWorkspace([{ op: 'member', member: workspaceMember(changed) }])
    return c.json({ member: publicMember(changed) })
  })

  // [S12] The current password is asked (a stolen access token alone cannot take the account),
  // guessed no faster than at the login [A1]–[A3], and the change ends every other session.
  app.post('/me/password', member, async (c) => {
    const { currentPassword, password } = await readJson(c)
    const me = c.get('member')
    if (typeof currentPassword !== 'string' || !currentPassword)
      throw new AdminError(400, 'currentPassword', 'is required')
    if (typeof password !== 'string' || password.length < 8)
      throw new AdminError(400, 'password', 'must be at least 8 characters')
    const address = deps.clientIp(c) ?? 'unknown'
    const admitted = await admitAttempt(loginThrottle, me.email, address, now(), log)
    if (!admitted) {
      c.header('retry-after', UNCOUNTED.retryAfter)
      return c.json({ error: UNCOUNTED.error, field: 'currentPassword' }, UNCOUNTED.status)
    }
    if (!admitted.ok) {
      c.header('retry-after', String(Math.max(1, Math.ceil(admitted.retryAfterMs / 1000))))
      return c.json({ error: 'too many attempts, try again later', field: 'currentPassword' }, 429)
    }
    const hashed = hashSlots.run(
      () => deps.passwords.verify(currentPassword, me.passwordHash),
      true,
    )
    if (!hashed) {
      await loginThrottle.cancel(admitted.ticket)
      c.header('retry-after', '1')
      throw jsonError(429, 'busy, try again in a second', { field: 'currentPassword' })
    }
    if (!(await hashed)) throw new AdminError(400, 'currentPassword', 'is not your password')
    await loginThrottle.succeeded(admitted.ticket, now())
    const passwordHash = await deps.passwords.hash(password)
    const current = storage.getMember(me.id)
    if (!current || current.deactivatedAt !== undefined)
      throw jsonError(401, 'token revoked', { code: 'session-ended' })
    storage.putMember({ ...current, passwordHash })
    const keep = c.get('sessionId')
    const t = now()
    const ended = storage
      .listSessions(me.id)
      .filter((s) => s.id !== keep && s.endedAt === undefined)
      .filter((s) => storage.endSession(s.id, t, 'password-changed'))
      .map((s) => s.id)
    closeSessions(ended, 'password changed')
    log({ level: 'info', msg: 'password changed', member: me.id, ended: ended.length })
    return c.json({ ok: true, ended })
  })
  return app
}
