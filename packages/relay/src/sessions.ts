/**
 * @module Sessions (packages/core/SPEC.md "Access" [S1]–[S5]): a login opens one, access tokens
 * name it, its refresh token is single-use, and it ends at a fixed time whatever its refreshes.
 *
 * A refresh token is `<session>.<generation>.<HMAC of both>`: only the session's current
 * generation refreshes. Presenting an older one means two holders of one token (a thief and the
 * owner), so the session ends, except for the generation just replaced within a short grace
 * (two tabs refreshing at once), which gets the current token again.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { issueToken, type TokenClaims } from './auth.ts'
import type { MemberRecord, RelayStorage, SessionRecord } from './storage/relay-storage.ts'
import { isConflict } from './storage/storage-error.ts'

export interface SessionOptions {
  storage: RelayStorage
  secret: string
  /** Lifetime of an access token (s). */
  accessTtlSeconds: number
  /** Absolute lifetime of a session (s): no refresh extends it. */
  sessionTtlSeconds: number
  /** How long the refresh token a refresh replaced still gets the current one back (ms). */
  reuseGraceMs: number
  now: () => number
}

/** What login and refresh hand the client. */
export interface IssuedTokens {
  token: string
  expiresAt: number
  refreshToken: string
  /** The session's absolute end (ms): log in again after it. */
  sessionExpiresAt: number
}

/** Why a token or session is not good: `ended` covers sign-out, revocation, reuse and removal. */
export type SessionRefusal = 'invalid' | 'expired' | 'ended' | 'reused'

export type SessionCheck =
  | { ok: true; member: MemberRecord; session: SessionRecord }
  | { ok: false; reason: SessionRefusal; sessionId?: string }

export type Sessions = ReturnType<typeof createSessions>

export function createSessions(options: SessionOptions) {
  const { storage, secret, accessTtlSeconds, sessionTtlSeconds, reuseGraceMs, now } = options

  const mac = (sessionId: string, gen: number) =>
    createHmac('sha256', secret).update(`refresh\0${sessionId}\0${gen}`).digest('base64url')
  const refreshTokenOf = (sessionId: string, gen: number) =>
    `${sessionId}.${gen}.${mac(sessionId, gen)}`

  /** The session and generation a refresh token names, when its MAC is ours. */
  function parseRefreshToken(token: string): { sessionId: string; gen: number } | null {
    const parts = token.split('.')
    if (parts.length !== 3) return null
    const [sessionId, genText, given] = parts as [string, string, string]
    if (!/^(0|[1-9][0-9]{0,9})$/.test(genText)) return null
    const gen = Number(genText)
    const expected = Buffer.from(mac(sessionId, gen))
    const got = Buffer.from(given)
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return null
    return { sessionId, gen }
  }

  async function tokens(member: MemberRecord, session: SessionRecord): Promise<IssuedTokens> {
    const access = await issueToken(
      secret,
      member,
      session.id,
      accessTtlSeconds,
      now(),
      session.expiresAt,
    )
    return {
      ...access,
      refreshToken: refreshTokenOf(session.id, session.refreshGen),
      sessionExpiresAt: session.expiresAt,
    }
  }

  /** The live session `id` of a member who may still sign in, or why not. */
  function live(id: string, memberId?: string): SessionCheck {
    const session = storage.getSession(id)
    if (!session || (memberId !== undefined && session.memberId !== memberId))
      return { ok: false, reason: 'invalid' }
    if (session.endedAt !== undefined) return { ok: false, reason: 'ended', sessionId: id }
    if (now() >= session.expiresAt) return { ok: false, reason: 'expired', sessionId: id }
    const member = storage.getMember(session.memberId)
    if (!member || member.deactivatedAt !== undefined)
      return { ok: false, reason: 'ended', sessionId: id }
    return { ok: true, member, session }
  }

  return {
    /** [S1] Opens a session for a member who just proved their password. */
    async open(member: MemberRecord, meta: { userAgent?: string; ip?: string } = {}) {
      const t = now()
      const session: SessionRecord = {
        id: `s-${randomUUID()}`,
        memberId: member.id,
        createdAt: t,
        expiresAt: t + sessionTtlSeconds * 1000,
        refreshGen: 0,
        refreshedAt: t,
      }
      if (meta.userAgent) session.userAgent = meta.userAgent.slice(0, 200)
      if (meta.ip) session.ip = meta.ip.slice(0, 64)
      storage.putSession(session)
      return tokens(member, session)
    },

    /** [S4] The member and live session an access token's claims name. */
    check(claims: TokenClaims): SessionCheck {
      if (typeof claims.sid !== 'string') return { ok: false, reason: 'invalid' }
      return live(claims.sid, claims.sub)
    },

    /**
     * [S2] Trades a refresh token for new tokens. A replaced token presented after the grace ends
     * the session (`reused`, with the session id so its sockets can be closed).
     */
    async refresh(
      refreshToken: string,
    ): Promise<{ ok: true; member: MemberRecord; tokens: IssuedTokens } | SessionCheck> {
      const parsed = parseRefreshToken(refreshToken)
      if (!parsed) return { ok: false, reason: 'invalid' }
      // A second round only after a conflict: another relay rotated or ended the session at the
      // same moment, and the directory now shows what it decided.
      for (let round = 0; ; round++) {
        const state = live(parsed.sessionId)
        if (!state.ok) return state
        const { session, member } = state
        try {
          if (parsed.gen === session.refreshGen) {
            // Committed before the new token leaves: one token rotates once, across relays too.
            const rotated = await storage.durably(() =>
              storage.rotateSession(session.id, session.refreshGen, now()),
            )
            if (!rotated) return { ok: false, reason: 'invalid' }
            const next = { ...session, refreshGen: session.refreshGen + 1 }
            return { ok: true, member, tokens: await tokens(member, next) }
          }
          if (parsed.gen === session.refreshGen - 1 && now() - session.refreshedAt <= reuseGraceMs)
            return { ok: true, member, tokens: await tokens(member, session) }
          await storage.durably(() => storage.endSession(session.id, now(), 'refresh-token-reused'))
          return { ok: false, reason: 'reused', sessionId: session.id }
        } catch (error) {
          if (!isConflict(error) || round > 0) throw error
        }
      }
    },

    /** The live session a refresh token of any generation names (sign-out without an access token). */
    sessionOfRefreshToken(refreshToken: string): SessionCheck {
      const parsed = parseRefreshToken(refreshToken)
      return parsed ? live(parsed.sessionId) : { ok: false, reason: 'invalid' }
    },
  }
}
