/**
 * @module Sign-in and sessions: `POST /api/login|refresh|logout`, a member's own sessions and
 * `GET /api/me` (rules [S1]–[S6], [A1]–[A3]; docs/protocol.md "Sessions and tokens").
 */
import { Hono, type Context } from 'hono'
import type { Access } from '../access.ts'
import type { Admin } from '../admin.ts'
import type { Passwords } from '../auth.ts'
import {
  bearer,
  jsonError,
  readJson,
  requireMember,
  sessionErrorCode,
  type Authenticate,
  type Vars,
} from '../http.ts'
import type { LastSeen } from '../last-seen.ts'
import { admitAttempt, UNCOUNTED, type HashSlots, type LoginCounts } from '../login-throttle.ts'
import { publicMember } from '../member-views.ts'
import type { Metrics } from '../metrics.ts'
import type { SessionRefusal, Sessions } from '../sessions.ts'
import type { PhoneNumberRecord, RelayStorage } from '../storage/relay-storage.ts'
import { isConflict } from '../storage/storage-error.ts'

export interface AuthDeps {
  storage: RelayStorage
  metrics: Metrics
  sessions: Sessions
  authenticate: Authenticate
  loginThrottle: LoginCounts
  hashSlots: HashSlots
  passwords: Passwords
  admin: Pick<Admin, 'listSessions' | 'revokeSessions'>
  roomsOf: Access['roomsOf']
  /** Closes the sockets of sessions that ended [S5]. */
  closeSessions(ids: Iterable<string>, reason: string): void
  sessionTtlSeconds: number
  lastSeen: LastSeen
  now: () => number
  log: (event: Record<string, unknown>) => void
  clientIp: (c: Context) => string | undefined
}

/** Mounted at `/api`. */
export function authRoutes(deps: AuthDeps): Hono<Vars> {
  const { storage, metrics, sessions, authenticate, loginThrottle, hashSlots, admin } = deps
  const { closeSessions, sessionTtlSeconds, now, log, clientIp, roomsOf } = deps
  const app = new Hono<Vars>()
  const member = requireMember(authenticate, metrics)

  app.post('/login', async (c) => {
    const body = await readJson(c)
    const { email, password } = body
    if (typeof email !== 'string' || !email)
      throw jsonError(400, 'email is required', { field: 'email' })
    if (typeof password !== 'string' || !password)
      throw jsonError(400, 'password is required', { field: 'password' })
    const emailKey = email.trim().toLowerCase()
    // [A1] The attempt counts before its hash starts, so parallel guesses see each other.
    const admitted = await admitAttempt(
      loginThrottle,
      emailKey,
      clientIp(c) ?? 'unknown',
      now(),
      log,
    )
    if (!admitted) {
      c.header('retry-after', UNCOUNTED.retryAfter)
      return c.json({ error: UNCOUNTED.error }, UNCOUNTED.status)
    }
    if (!admitted.ok) {
      metrics.authFailure('login-rate-limited')
      c.header('retry-after', String(Math.max(1, Math.ceil(admitted.retryAfterMs / 1000))))
      return c.json({ error: 'too many login attempts, try again later' }, 429)
    }
    const member = storage.getMemberByEmail(emailKey)
    // [A2] A few hashes at once behind a short queue (a known address's first); past it, an
    // answer now rather than a long wait.
    const hashed = hashSlots.run(
      () => deps.passwords.verify(password, member?.passwordHash ?? deps.passwords.dummy),
      admitted.ticket.known,
    )
    if (!hashed) {
      await loginThrottle.cancel(admitted.ticket)
      metrics.authFailure('login-busy')
      c.header('retry-after', '1')
      return c.json({ error: 'too many logins in progress, try again in a second' }, 429)
    }
    const ok = await hashed
    // [S6] A removed member gets the answer of a wrong password, after the same work.
    if (!member || !ok || member.deactivatedAt !== undefined) {
      metrics.authFailure('login')
      return c.json({ error: 'invalid email or password' }, 401)
    }
    await loginThrottle.succeeded(admitted.ticket, now())
    // Sessions that ended or ran out a while ago are forgotten (kept a while for the admin list).
    storage.pruneSessions(now() - sessionTtlSeconds * 1000)
    const tokens = await sessions.open(member, {
      userAgent: c.req.header('user-agent'),
      ip: clientIp(c),
    })
    deps.lastSeen.touch(member.id)
    return c.json({ ...tokens, member: publicMember(member) })
  })

  // [S2] The refresh token, never the access token, buys new tokens: once.
  app.post('/refresh', async (c) => {
    const { refreshToken } = await readJson(c)
    if (typeof refreshToken !== 'string' || !refreshToken)
      throw jsonError(400, 'refreshToken is required', { field: 'refreshToken' })
    const result = await sessions.refresh(refreshToken)
    if (!result.ok) {
      metrics.authFailure(`refresh-${result.reason}`)
      if (result.reason === 'reused') {
        log({
          level: 'warn',
          msg: 'refresh token reused: session ended',
          session: result.sessionId,
        })
        closeSessions([result.sessionId!], 'session ended: refresh token reused')
      }
      const reason: SessionRefusal | 'session-expired' =
        result.reason === 'expired' ? 'session-expired' : result.reason
      throw jsonError(401, `refresh token ${result.reason}`, sessionErrorCode(reason))
    }
    if ('tokens' in result) {
      deps.lastSeen.touch(result.member.id)
      return c.json({ ...result.tokens, member: publicMember(result.member) })
    }
    throw new Error('unreachable: a live session check is not a refresh')
  })

  // [S5] Sign-out ends the session: with its access token, or its refresh token once that expired.
  app.post('/logout', async (c) => {
    const token = bearer(c)
    const auth = token !== undefined ? await authenticate(token) : null
    let sessionId = auth?.ok ? auth.sessionId : null
    if (!sessionId) {
      const { refreshToken } = await readJson(c).catch(() => ({}) as Record<string, unknown>)
      const live =
        typeof refreshToken === 'string' ? sessions.sessionOfRefreshToken(refreshToken) : null
      if (live?.ok) sessionId = live.session.id
    }
    if (!sessionId) {
      metrics.authFailure('logout')
      throw jsonError(401, 'no live session: a valid access or refresh token is required')
    }
    // Committed before the answer, so no other relay accepts the session after it; ended by
    // another relay meanwhile (a conflict) is ended all the same.
    const id = sessionId
    await storage
      .durably(() => storage.endSession(id, now(), 'logout'))
      .catch((error) => {
        if (!isConflict(error)) throw error
      })
    closeSessions([sessionId], 'signed out')
    return c.json({ ok: true })
  })

  // A member's own sessions (their devices), for "sign out my other devices".
  app.get('/sessions', member, (c) => {
    const current = c.get('sessionId')
    const list = admin.listSessions(c.get('member').id)
    return c.json({ sessions: list.map((s) => ({ ...s, current: s.id === current })) })
  })
  app.delete('/sessions/:sessionId', member, (c) => {
    const member = c.get('member')
    const ended = admin.revokeSessions(member.id, c.req.param('sessionId'), member)
    return c.json({ ended })
  })

  app.get('/me', member, (c) => {
    const member = c.get('member')
    const phoneNumbers = storage
      .listAccess(member.id)
      .map((id) => storage.getPhoneNumber(id))
      .filter((pn): pn is PhoneNumberRecord => pn !== null)
    return c.json({ member: publicMember(member), phoneNumbers, rooms: roomsOf(member) })
  })
  return app
}
