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

/** scrypt's cost parameters: N (a power of two), r and p. */
export interface PasswordCost {
  N: number
  r: number
  p: number
}

/** The cost of every password hash the relay makes unless told otherwise. */
export const DEFAULT_PASSWORD_COST: Readonly<PasswordCost> = { N: 16384, r: 8, p: 1 }

const KEYLEN = 32

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

/** A cost scrypt accepts within the relay's memory bound, or an error naming what is wrong. */
export function checkPasswordCost(cost: PasswordCost): PasswordCost {
  const { N, r, p } = cost
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 20)
    throw new Error(`passwordCost.N must be a power of two from 2 to 2^20, not ${N}`)
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1)
    throw new Error(`passwordCost.r and .p must be positive integers, not ${r} and ${p}`)
  if (128 * N * r > 64 * 1024 * 1024)
    throw new Error(`passwordCost needs ${128 * N * r} bytes of memory; the bound is 64 MiB`)
  return { N, r, p }
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(
  password: string,
  cost: PasswordCost = DEFAULT_PASSWORD_COST,
): Promise<string> {
  const salt = randomBytes(16)
  const { N, r, p } = cost
  const key = await scryptAsync(password, salt, N, r, p, KEYLEN)
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Checks a password against a stored hash at the cost the hash was made with. */
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

/** A hash that never verifies, at `cost`, so unknown emails cost as much as wrong passwords. */
export function dummyHash(cost: PasswordCost = DEFAULT_PASSWORD_COST): string {
  const zeros = (n: number) => Buffer.alloc(n).toString('base64url')
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${zeros(16)}$${zeros(KEYLEN)}`
}

/** A relay's passwords: hashed at its cost; checked at each hash's own. */
export interface Passwords {
  hash(password: string): Promise<string>
  verify(password: string, stored: string): Promise<boolean>
  /** What an unknown email is checked against. */
  readonly dummy: string
}

export function createPasswords(cost: PasswordCost = DEFAULT_PASSWORD_COST): Passwords {
  const checked = checkPasswordCost(cost)
  return {
    hash: (password) => hashPassword(password, checked),
    verify: verifyPassword,
    dummy: dummyHash(checked),
  }
}

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
