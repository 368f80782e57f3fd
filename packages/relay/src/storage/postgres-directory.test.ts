import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, startTestPostgres } from '../testing/postgres.ts'
import { runDirectoryContract, type DirectoryHarness } from './directory.contract.ts'
import type { MemberRecord } from './directory.ts'
import { runOutboxContract, type OutboxHarness } from './outbox.contract.ts'
import { connectPostgres, type Sql } from './postgres-connect.ts'
import {
  createPostgresDirectory,
  type DirectoryChange,
  type PostgresDirectory,
} from './postgres-directory.ts'
import { StorageError } from './storage-error.ts'

const pools: Sql[] = []
afterAll(async () => {
  for (const sql of pools) await sql.end({ timeout: 1 })
})
const pool = (url: string) => {
  const sql = connectPostgres(url, { max: 4 })
  pools.push(sql)
  return sql
}

/** A directory on `sql`; a restart is a new instance on its database once the writes committed. */
async function open(sql: Sql): Promise<DirectoryHarness & OutboxHarness> {
  const directory = await createPostgresDirectory(sql)
  return {
    directory,
    outbox: directory,
    async reopen() {
      await directory.whenDurable()
      await directory.close()
      return open(sql)
    },
    close: () => directory.close(),
  }
}
const fresh = async () => open(pool(await createTestDatabase()))

runDirectoryContract('postgres', fresh)
runOutboxContract('postgres', fresh)

const member = (id: string): MemberRecord => ({
  id,
  email: `${id}@example.com`,
  name: id,
  role: 'member',
  passwordHash: 'h',
  createdAt: 1,
})

const reply = {
  activityId: 'r1',
  attempt: 1,
  phoneNumberId: 'pn1',
  conversationId: 'c1',
  memberId: 'm1',
  provider: 'twilio' as const,
  from: '+14155550100',
  to: '+14155550199',
  body: 'On our way',
  createdAt: 1000,
}

/** The next change `d` hears from another relay that satisfies `wanted`. */
const nextChange = (d: PostgresDirectory, wanted: (c: DirectoryChange) => boolean) =>
  new Promise<DirectoryChange>((resolve) => {
    const stop = d.onChange((c) => {
      if (!wanted(c)) return
      stop()
      resolve(c)
    })
  })

/** Which of two racing calls won, and what the other one was told. */
async function race<T>(a: Promise<T>, b: Promise<T>) {
  const [ra, rb] = await Promise.allSettled([a, b])
  const won = [ra, rb].filter((r) => r.status === 'fulfilled')
  const lost = [ra, rb].filter((r) => r.status === 'rejected')
  return {
    won,
    lost: lost.map((r) => (r as PromiseRejectedResult).reason as StorageError),
    firstWon: ra.status === 'fulfilled',
  }
}

describe('the directory on PostgreSQL, shared by two relays', () => {
  let a: PostgresDirectory
  let b: PostgresDirectory
  let sql: Sql
  const both = async () => {
    sql = pool(await createTestDatabase())
    a = await createPostgresDirectory(sql, { instanceId: 'a' })
    b = await createPostgresDirectory(sql, { instanceId: 'b' })
  }
  afterEach(async () => {
    await a?.close()
    await b?.close()
  })

  it('a member added on one relay is seen by the other once its notification arrives', async () => {
    await both()
    const heard = nextChange(b, (c) => c.parts.includes('members'))
    a.putMember(member('m1'))
    a.grantAccess('m1', 'pn1')
    expect(b.getMember('m1')).toBeNull()
    expect((await heard).members).toContain('m1')
    expect(b.getMember('m1')).toEqual(member('m1'))
    const access = nextChange(b, (c) => c.parts.includes('access'))
    if (b.listAccess('m1').length === 0) await access
    expect(b.listAccess('m1')).toEqual(['pn1'])
    const revision = b.phoneNumbersRevision()
    const numbers = nextChange(b, (c) => c.parts.includes('phone-numbers'))
    a.putPhoneNumber({ id: 'pn1', name: 'Sales', number: '+14155550100' })
    await numbers
    expect(b.phoneNumbersRevision()).not.toBe(revision)
    expect(b.getPhoneNumber('pn1')?.name).toBe('Sales')
  })

  it('access revoked or a rule changed on one relay is reported to the other, naming the member', async () => {
    await both()
    a.grantAccess('m1', 'pn1')
    a.grantAccess('m2', 'pn1')
    await nextChange(b, () => b.listAccess('m2').length > 0)
    const revoked = nextChange(b, (c) => c.parts.includes('access'))
    a.revokeAccess('m1', 'pn1')
    expect(await revoked).toMatchObject({ parts: ['access'], members: ['m1'], reloaded: false })
    expect(b.listAccess('m1')).toEqual([])
    const before = b.rulesRevision()
    const ruled = nextChange(b, (c) => c.parts.includes('rules'))
    a.putRule({
      id: 'r1',
      phoneNumberId: 'pn1',
      kind: 'mute',
      name: 'Muted',
      field: 'sender',
      pattern: '#####',
      createdBy: 'm2',
      createdAt: 1,
    })
    await ruled
    expect(b.rulesRevision()).not.toBe(before)
    expect(b.listRules('pn1').map((r) => r.id)).toEqual(['r1'])
  })

  it('durably() resolves once committed; a transaction that throws leaves nothing behind', async () => {
    await both()
    await a.durably(() => a.putMember(member('m1')))
    const c = await createPostgresDirectory(sql, { instanceId: 'c' })
    expect(c.getMember('m1')?.id).toBe('m1')
    await c.close()
    expect(() =>
      a.transaction(() => {
        a.putMember(member('m2'))
        a.bindDevice('d2', 'm2')
        a.putMember({ ...member('m1'), name: 'renamed' })
        throw new Error('refused')
      }),
    ).toThrow('refused')
    expect(a.getMember('m2')).toBeNull()
    expect(a.getDeviceOwner('d2')).toBeNull()
    expect(a.getMember('m1')?.name).toBe('m1')
    // The next write commits alone; a new instance sees nothing of the refused transaction.
    await a.durably(() => a.setMeta('k', 'v'))
    const d = await createPostgresDirectory(sql, { instanceId: 'd' })
    expect(d.getMember('m2')).toBeNull()
    expect(d.getDeviceOwner('d2')).toBeNull()
    expect(d.getMember('m1')?.name).toBe('m1')
    await d.close()
  })

  it('the writes of one turn reach the store in call order', async () => {
    await both()
    for (let i = 0; i < 5; i++) {
      a.putMember({ ...member('m1'), name: `name ${i}` })
      a.grantAccess('m1', 'pn1')
      a.revokeAccess('m1', 'pn1')
      a.enqueueOutgoing({ ...reply, attempt: i + 1 })
      a.startOutgoing('r1', i + 1, i)
    }
    a.grantAccess('m1', 'pn2')
    await a.whenDurable()
    const c = await createPostgresDirectory(sql, { instanceId: 'c' })
    expect(c.getMember('m1')?.name).toBe('name 4')
    expect(c.listAccess('m1')).toEqual(['pn2'])
    expect(c.getOutgoing('r1')).toMatchObject({ attempt: 5, state: 'in-flight', startedAt: 4 })
    await c.close()
  })

  it('[S2] a refresh token rotated on both relays at once rotates on exactly one', async () => {
    await both()
    const seen = nextChange(b, (c) => c.parts.includes('sessions'))
    a.putSession({
      id: 's1',
      memberId: 'm1',
      createdAt: 1,
      expiresAt: 10_000,
      refreshGen: 0,
      refreshedAt: 1,
    })
    await seen
    // Each relay's cache says yes at once; the store lets one of them keep it.
    const { won, lost, firstWon } = await race(
      a.durably(() => a.rotateSession('s1', 0, 100)),
      b.durably(() => b.rotateSession('s1', 0, 200)),
    )
    expect(won).toHaveLength(1)
    expect(lost.map((e) => e.code)).toEqual(['conflict'])
    // The loser's cache already shows the winner's rotation.
    const rotated = { refreshGen: 1, refreshedAt: firstWon ? 100 : 200 }
    expect((firstWon ? b : a).getSession('s1')).toMatchObject(rotated)
    expect(a.rotateSession('s1', 0, 300)).toBe(false)
    expect(b.rotateSession('s1', 0, 300)).toBe(false)
  })

  it('[I3] an invite accepted on both relays at once is used once, and only one member is created', async () => {
    await both()
    const seen = nextChange(b, (c) => c.parts.includes('invites'))
    a.putInvite({
      id: 'i1',
      tokenHash: 'th',
      email: 'new@example.com',
      role: 'member',
      phoneNumberIds: [],
      createdBy: null,
      createdAt: 1,
      expiresAt: 10_000,
    })
    await seen
    const accept = (d: PostgresDirectory, id: string) =>
      d.durably(() => {
        if (!d.useInvite('i1', 50, id)) throw new Error('used')
        d.putMember({ ...member(id), email: `${id}@example.com` })
        d.grantAccess(id, 'pn1')
      })
    const accepting = [accept(a, 'ma'), accept(b, 'mb')] as const
    // Written in the same turn, so in the same batch as the acceptance: kept whoever lost.
    a.setMeta('batched', 'a')
    b.setMeta('batched-b', 'b')
    const { won, lost } = await race(...accepting)
    expect(won).toHaveLength(1)
    expect(lost[0]).toBeInstanceOf(StorageError)
    expect(lost[0]?.code).toBe('conflict')
    const fresh = await createPostgresDirectory(sql, { instanceId: 'c' })
    try {
      const winner = fresh.getInvite('i1')?.usedBy
      expect(['ma', 'mb']).toContain(winner)
      expect(fresh.listMembers().map((m) => m.id)).toEqual([winner])
      expect(fresh.listAccess(winner === 'ma' ? 'mb' : 'ma')).toEqual([])
      expect([fresh.getMeta('batched'), fresh.getMeta('batched-b')]).toEqual(['a', 'b'])
      // Neither relay's cache keeps the loser's member.
      for (const d of [a, b]) {
        expect(d.getInvite('i1')?.usedBy).toBe(winner)
        expect(d.getMember(winner === 'ma' ? 'mb' : 'ma')).toBeNull()
      }
    } finally {
      await fresh.close()
    }
  })

  it('[M8] a device bound on both relays at once binds once; the loser learns the owner', async () => {
    await both()
    const { won, lost } = await race(
      a.durably(() => a.bindDevice('d1', 'ma')),
      b.durably(() => b.bindDevice('d1', 'mb')),
    )
    expect(won).toHaveLength(1)
    expect(lost.map((e) => e.code)).toEqual(['conflict'])
    const owner = a.getDeviceOwner('d1')
    expect(['ma', 'mb']).toContain(owner)
    expect(b.getDeviceOwner('d1')).toBe(owner)
    // The same binding made twice is no conflict; a conflict never fails whenDurable().
    a.bindClient('r', 7, 'ma')
    b.bindClient('r', 7, 'ma')
    await Promise.all([a.whenDurable(), b.whenDurable()])
    expect(b.getClientOwner('r', 7)).toBe('ma')
  })

  it('[O4] a reply started on both relays at once is taken in flight by one of them', async () => {
    await both()
    const seen = nextChange(b, (c) => c.parts.includes('outbox'))
    a.enqueueOutgoing(reply)
    await seen
    const { won, lost, firstWon } = await race(
      a.durably(() => a.startOutgoing('r1', 1, 100)),
      b.durably(() => b.startOutgoing('r1', 1, 200)),
    )
    expect(won).toHaveLength(1)
    expect(lost.map((e) => e.code)).toEqual(['conflict'])
    const started = { state: 'in-flight', startedAt: firstWon ? 100 : 200 }
    expect((firstWon ? b : a).getOutgoing('r1')).toMatchObject(started)
  })

  it('two relays inserting the same index rows in opposite orders at once both commit, without a deadlock', async () => {
    // Deadlocks are not detected for ten minutes here: one would hang the test, not be retried.
    const url = await createTestDatabase()
    const admin = pool(url)
    await admin.unsafe(
      `alter database "${new URL(url).pathname.slice(1)}" set deadlock_timeout = '10min'`,
    )
    sql = pool(url)
    a = await createPostgresDirectory(sql, { instanceId: 'a' })
    b = await createPostgresDirectory(sql, { instanceId: 'b' })
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`)
    for (const id of ids) {
      a.setConversationPhoneNumber(id, 'pn1')
      a.recordActivity(`act-${id}`)
    }
    for (const id of [...ids].reverse()) {
      b.recordActivity(`act-${id}`)
      b.setConversationPhoneNumber(id, 'pn1')
    }
    await Promise.all([a.whenDurable(), b.whenDurable()])
    const [row] = await sql`select count(*)::int as n from conversations`
    expect(row?.n).toBe(100)
  })

  it('[W6] an activity recorded on both relays at once is applied by one of them', async () => {
    await both()
    const { won, lost } = await race(
      a.durably(() => a.recordActivity('twilio-msg-SM1')),
      b.durably(() => b.recordActivity('twilio-msg-SM1')),
    )
    expect(won).toHaveLength(1)
    expect(lost.map((e) => e.code)).toEqual(['conflict'])
    expect(a.hasActivity('twilio-msg-SM1') && b.hasActivity('twilio-msg-SM1')).toBe(true)
  })
})

describe('the directory on PostgreSQL through an outage', () => {
  it('writes made while PostgreSQL is down fail whenDurable(), the cache forgets them once it is back, and notifications resume', async () => {
    const cluster = await startTestPostgres()
    const url = await cluster.createDatabase()
    const sql = connectPostgres(url, { max: 2 })
    const otherSql = connectPostgres(url, { max: 2 })
    const d = await createPostgresDirectory(sql, { retryMs: 20 })
    const other = await createPostgresDirectory(otherSql, { retryMs: 20 })
    try {
      d.putMember(member('kept'))
      await d.whenDurable()
      await cluster.stop('immediate')
      d.putMember(member('lost'))
      await expect(d.whenDurable()).rejects.toMatchObject({ code: 'io' })
      // Until the store answers again, the cache still shows the write that failed.
      expect(d.getMember('lost')).not.toBeNull()
      const reloaded = nextChange(d, (c) => c.reloaded)
      // The other relay wrote nothing: its LISTEN coming back is what makes it read again.
      const relistened = nextChange(other, (c) => c.reloaded)
      await cluster.start()
      await reloaded
      expect(d.getMember('lost')).toBeNull()
      expect(d.getMember('kept')).not.toBeNull()
      await relistened
      const heard = nextChange(other, (c) => c.members.includes('after'))
      d.putMember(member('after'))
      await d.whenDurable()
      await heard
      expect(other.getMember('after')?.id).toBe('after')
    } finally {
      await d.close()
      await other.close()
      await sql.end({ timeout: 1 })
      await otherSql.end({ timeout: 1 })
      await cluster.destroy()
    }
  }, 60_000)
})
