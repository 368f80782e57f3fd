/**
 * [S2] across relays: two relays on one PostgreSQL directory, each with its own cache, answer the
 * same refresh token at the same moment. The rotation is decided by the store, so a refresh
 * token replayed on the other relay never yields a second chain of tokens.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createSessions } from './sessions.ts'
import { connectPostgres } from './storage/postgres-connect.ts'
import { createPostgresDirectory, type PostgresDirectory } from './storage/postgres-directory.ts'
import type { MemberRecord, RelayStorage } from './storage/relay-storage.ts'
import { createTestDatabase } from './testing/postgres.ts'

const carol: MemberRecord = {
  id: 'carol',
  email: 'carol@example.com',
  name: 'Carol',
  role: 'member',
  passwordHash: 'h',
  createdAt: 1,
}

const open: PostgresDirectory[] = []
const ends: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const d of open) await d.close()
  for (const end of ends) await end()
})

/** Resolves once `check` holds, tested now and after each change `d` hears. */
const until = (d: PostgresDirectory, check: () => boolean) =>
  new Promise<void>((resolve) => {
    if (check()) return resolve()
    const stop = d.onChange(() => {
      if (!check()) return
      stop()
      resolve()
    })
  })

/** Two relays' session services on one database, and the open session's refresh token. */
async function twoRelays(reuseGraceMs: number) {
  const sql = connectPostgres(await createTestDatabase(), { max: 4 })
  ends.push(() => sql.end({ timeout: 1 }))
  const [a, b] = await Promise.all(
    ['a', 'b'].map((instanceId) => createPostgresDirectory(sql, { instanceId })),
  )
  open.push(a!, b!)
  const sessions = (d: PostgresDirectory) =>
    createSessions({
      // Sessions use only the directory part of the store.
      storage: d as unknown as RelayStorage,
      secret: 'x'.repeat(32),
      accessTtlSeconds: 60,
      sessionTtlSeconds: 3600,
      reuseGraceMs,
      now: Date.now,
    })
  a!.putMember(carol)
  const issued = await sessions(a!).open(carol)
  await until(b!, () => b!.listSessions('carol').length > 0)
  return { a: a!, b: b!, onA: sessions(a!), onB: sessions(b!), refreshToken: issued.refreshToken }
}

describe('[S2] one refresh token on two relays at once', () => {
  it('[S2] without a grace, one relay rotates it and the replay on the other ends the session', async () => {
    const { a, b, onA, onB, refreshToken } = await twoRelays(0)
    const results = await Promise.all([onA.refresh(refreshToken), onB.refresh(refreshToken)])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, reason: 'reused' })
    const sessionId = refreshToken.split('.')[0]!
    // The token the winner got is dead at once, even on the winner's relay before it heard of
    // the end: its rotation is conditional in the store too.
    const winner = results[0]!.ok ? onA : onB
    const won = results.find((r) => r.ok) as { tokens: { refreshToken: string } }
    expect(await winner.refresh(won.tokens.refreshToken)).toMatchObject({ ok: false })
    for (const d of [a, b]) {
      await until(d, () => d.getSession(sessionId)?.endedAt !== undefined)
      expect(d.getSession(sessionId)?.endReason).toBe('refresh-token-reused')
    }
  })

  it('[S2] within the grace, both get the one new token (two tabs), rotated once', async () => {
    const { a, b, onA, onB, refreshToken } = await twoRelays(60_000)
    const results = await Promise.all([onA.refresh(refreshToken), onB.refresh(refreshToken)])
    const tokens = results.map(
      (r) => (r as { tokens?: { refreshToken: string } }).tokens?.refreshToken,
    )
    expect(tokens[0]).toBeDefined()
    expect(tokens[0]).toBe(tokens[1])
    const sessionId = refreshToken.split('.')[0]!
    for (const d of [a, b]) expect(d.getSession(sessionId)).toMatchObject({ refreshGen: 1 })
    expect(a.getSession(sessionId)?.endedAt).toBeUndefined()
  })
})
