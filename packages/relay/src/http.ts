/**
 * @module What every HTTP route shares: the context's variables, JSON errors and bodies, and
 * the middleware that authenticates a member [S4].
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { checkToken } from './auth.ts'
import type { Metrics } from './metrics.ts'
import type { Sessions } from './sessions.ts'
import type { MemberRecord } from './storage/relay-storage.ts'

/** The variables an authenticated route reads. */
export type Vars = { Variables: { member: MemberRecord; sessionId: string } }

export type Authentication =
  { ok: true; member: MemberRecord; sessionId: string; exp: number } | { ok: false; reason: string }

/** Checks an access token and the live session it names. */
export type Authenticate = (token: string | undefined) => Promise<Authentication>

/**
 * [S4] The member and live session of an access token: a valid signature is not enough, the
 * session must not have ended or expired and the member must not have been removed.
 */
export function createAuthenticate(secret: string, sessions: Sessions): Authenticate {
  return async (token) => {
    const check = await checkToken(secret, token)
    if (!check.ok) return check
    const live = sessions.check(check.claims)
    if (!live.ok) {
      const reasons = { ended: 'revoked', expired: 'session-expired' } as Record<string, string>
      return { ok: false, reason: reasons[live.reason] ?? 'invalid' }
    }
    return { ok: true, member: live.member, sessionId: live.session.id, exp: check.claims.exp }
  }
}

/** The `code` of a 401 the client must answer by signing out (not by refreshing). */
export const sessionErrorCode = (reason: string) =>
  reason === 'revoked' || reason === 'ended' || reason === 'reused'
    ? { code: 'session-ended' }
    : reason === 'session-expired'
      ? { code: 'session-expired' }
      : {}

/** An error answered as `{error, ...extra}` JSON with its status. */
export const jsonError = (status: number, error: string, extra: Record<string, unknown> = {}) =>
  new HTTPException(status as 400, {
    res: new Response(JSON.stringify({ error, ...extra }), {
      status,
      headers: { 'content-type': 'application/json' },
    }),
  })

/** The request's body as a JSON object, or a 400 naming the body. */
export async function readJson(c: Context): Promise<Record<string, unknown>> {
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    throw jsonError(400, 'body must be JSON', { field: 'body' })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw jsonError(400, 'body must be a JSON object', { field: 'body' })
  return body as Record<string, unknown>
}

/** The bearer token of the request's Authorization header. */
export const bearer = (c: Context): string | undefined => {
  const header = c.req.header('authorization') ?? ''
  return header.startsWith('Bearer ') ? header.slice(7) : undefined
}

/** Middleware: a live member's bearer token, or 401 (with a sign-out code when it applies). */
export function requireMember(
  authenticate: Authenticate,
  metrics: Metrics,
): MiddlewareHandler<Vars> {
  return async (c, next) => {
    const auth = await authenticate(bearer(c))
    if (!auth.ok) {
      metrics.authFailure(`token-${auth.reason}`)
      throw jsonError(401, `token ${auth.reason}`, sessionErrorCode(auth.reason))
    }
    c.set('member', auth.member)
    c.set('sessionId', auth.sessionId)
    await next()
  }
}

/** Middleware after requireMember: an owner or admin, or 403. */
export function requireAdmin(metrics: Metrics): MiddlewareHandler<Vars> {
  return async (c, next) => {
    const role = c.get('member').role
    if (role !== 'owner' && role !== 'admin') {
      metrics.authFailure('not-admin')
      throw jsonError(403, 'owner or admin role required')
    }
    await next()
  }
}
