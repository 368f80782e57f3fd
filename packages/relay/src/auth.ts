/**
 * @module Passwords (scrypt) and tokens (HS256 JWT via hono/jwt); login throttling is in
 * login-throttle.ts.
 *
 * An access token names the member and their session and expires (default 1 h). It is verified
 * with the algorithm pinned to HS256, so `alg: none` and tokens signed with another key are
 * refused alike. Sessions and refresh tokens are in sessions.ts.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { sign, verify } from 'hono/jwt'

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 }

function scryptAsync(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keylen: number,
) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keylen, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  )
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const { N, r, p, keylen } = SCRYPT
  const key = await scryptAsync(password, salt, N, r, p, keylen)
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await scryptAsync(
    password,
    Buffer.from(salt, 'base64url'),
    Number(N),
    Number(r),
    Number(p),
    expected.length,
  )
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/** A hash that never verifies, so unknown emails cost as much as wrong passwords. */
export const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`

export interface TokenClaims {
  sub: string
  /** The session the token was issued for [S1]; tokens without one are refused. */
  sid?: string
  role: string
  iat: number
  exp: number
}

/** An access token for a session; it never outlives `notAfterMs` (the session's end). */
export async function issueToken(
  secret: string,
  member: { id: string; role: string },
  sessionId: string,
  ttlSeconds: number,
  nowMs: number,
  notAfterMs = Infinity,
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(nowMs / 1000)
  const exp = Math.min(iat + ttlSeconds, Math.floor(notAfterMs / 1000))
  const claims = { sub: member.id, sid: sessionId, role: member.role, iat, exp }
  const token = await sign(claims, secret, 'HS256')
  return { token, expiresAt: exp * 1000 }
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string }

export async function checkToken(secret: string, token: string | undefined): Promise<TokenCheck> {
  if (!token) return { ok: false, reason: 'missing' }
  try {
    const payload = await verify(token, secret, 'HS256')
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number')
      return { ok: false, reason: 'invalid' }
    return { ok: true, claims: payload as unknown as TokenClaims }
  } catch (err) {
    const name = (err as Error).name
    return { ok: false, reason: name === 'JwtTokenExpired' ? 'expired' : 'invalid' }
  }
}
