import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import { indexeddbStorage } from './storage/indexeddb.ts'
import { incoming, openClient, startRelay, until, type TestRelay } from '../test/harness.ts'

/** Lets the wall clock move on, so the next mark is the later intent (not an HLC tie). */
const laterMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5))

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relay(options: Parameters<typeof startRelay>[0] = {}): Promise<TestRelay> {
  const r = await startRelay(options)
  cleanups.push(() => r.stop())
  await r.ingest(incoming('c1', 'hello'))
  return r
}

describe('session: tokens, access, browser storage', () => {
  it('refreshes its token before expiry and keeps syncing after the old token’s socket closes (4401)', async () => {
    const r = await relay({ tokenTtlSeconds: 3 })
    const tokens: string[] = []
    const refreshTokens: (string | undefined)[] = []
    const { createSwitchboard } = await import('./node.ts')
    const { login } = await import('../test/harness.ts')
    const session = await login(r.url, 'bob@example.com')
    const bob = createSwitchboard({
      url: r.url,
      token: session.token,
      refreshToken: session.refreshToken,
      expiresAt: session.expiresAt,
      member: session.member,
      storage: 'memory',
      onToken: (t, _exp, refreshToken) => {
        tokens.push(t)
        refreshTokens.push(refreshToken)
      },
    })
    cleanups.push(() => bob.destroy())
    await bob.whenSynced()
    await until(bob, () => tokens.length >= 1 && Date.now() > session.expiresAt + 200)
    expect(tokens[0]).not.toBe(session.token)
    // [S2] The refresh token rotated, and the replica uses the new one next time.
    expect(refreshTokens[0]).toBeDefined()
    expect(refreshTokens[0]).not.toBe(session.refreshToken)
    await until(bob, () => bob.status === 'online')
    await bob.inbox('pn1').markDone('c1')
    await bob.whenSynced()
    expect(bob.pending).toBe(0)
    expect(bob.error).toBeNull()
  })

  it('[S5] a revoked session signs the replica out (4410 → session-ended error, offline, marks kept locally)', async () => {
    const r = await relay()
    const carol = await openClient(r, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    await carol.whenSynced()
    expect(r.admin!.revokeSessions('carol')).toHaveLength(1)
    await until(carol, () => carol.error?.code === 'session-ended')
    expect(carol.status).toBe('offline')
    await carol.inbox('pn1').markDone('c1')
    expect(carol.inbox('pn1').get('c1')?.status).toBe('done')
    expect(carol.pending).toBe(1)
    await expect(carol.whenSynced()).rejects.toMatchObject({ code: 'session-ended' })
  })

  it('[S5] signOut() ends the session on the relay: its tokens stop working', async () => {
    const r = await relay()
    const { createSwitchboard } = await import('./node.ts')
    const { login } = await import('../test/harness.ts')
    const session = await login(r.url, 'carol@example.com')
    const carol = createSwitchboard({
      url: r.url,
      token: session.token,
      refreshToken: session.refreshToken,
      member: session.member,
      storage: 'memory',
    })
    cleanups.push(() => carol.destroy())
    await carol.whenSynced()
    expect(await carol.signOut()).toBe(true)
    expect(carol.status).toBe('offline')
    expect(carol.error).toBeNull()
    const me = await fetch(`${r.url}/api/me`, {
      headers: { authorization: `Bearer ${session.token}` },
    })
    expect(me.status).toBe(401)
    expect(await carol.refresh()).toBe(false)
  })

  it('a refresh without a refresh token says unauthorized, and the next refresh tries again', async () => {
    const { createSwitchboard } = await import('./node.ts')
    let asked = 0
    const sb = createSwitchboard({
      url: 'http://127.0.0.1:9',
      token: 'unused',
      storage: 'memory',
      connect: false,
      fetch: () => {
        asked++
        throw new Error('no request is expected')
      },
    })
    cleanups.push(() => sb.destroy())
    const heard: string[] = []
    sb.onError((e) => heard.push(e.code))
    expect(await sb.refresh()).toBe(false)
    expect(await sb.refresh()).toBe(false)
    expect(heard).toEqual(['unauthorized', 'unauthorized'])
    expect(asked).toBe(0)
  })

  it('[access] an inbox whose access is revoked closes; the rest keeps syncing', async () => {
    const r = await relay()
    const carol = await openClient(r, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    // The inbox room can sync before the workspace room and /api/me have (a race on busy cores).
    await until(carol, () => carol.phoneNumbers().length > 0)
    expect(carol.phoneNumbers().map((p) => p.id)).toEqual(['pn1'])
    await r.admin!.revoke('carol', 'pn1')
    await until(carol, () => carol.phoneNumbers().length === 0)
    await carol.whenSynced()
    expect(carol.status).toBe('online')
  })

  it('an IndexedDB replica restarted offline still has its marks, and its pending count', async () => {
    const r = await relay()
    const factory = new IDBFactory()
    const first = await openClient(r, 'alice@example.com', {
      storage: indexeddbStorage({ indexedDB: factory }),
    })
    await until(first, () => first.inbox('pn1').get('c1') !== null)
    await first.whenSynced()
    first.disconnect()
    await first.inbox('pn1').pin('c1')
    await first.inbox('pn1').markDone('c1')
    await first.destroy()

    const again = await openClient(r, 'alice@example.com', {
      storage: indexeddbStorage({ indexedDB: factory }),
      connect: false,
    })
    cleanups.push(() => again.destroy())
    expect(again.inbox('pn1').get('c1')).toMatchObject({ status: 'done', pinned: true })
    expect(again.pending).toBe(2)
    again.connect()
    await again.whenSynced()
    expect(again.pending).toBe(0)
  })

  it('two replicas in one process get distinct device ids, so they never write as one (P2)', async () => {
    const r = await relay()
    const tab1 = await openClient(r, 'alice@example.com')
    const tab2 = await openClient(r, 'alice@example.com')
    cleanups.push(
      () => tab1.destroy(),
      () => tab2.destroy(),
    )
    expect(tab1.deviceId).not.toBe(tab2.deviceId)
    await until(tab1, () => tab1.inbox('pn1').get('c1') !== null)
    await until(tab2, () => tab2.inbox('pn1').get('c1') !== null)
    tab1.disconnect()
    tab2.disconnect()
    await tab1.inbox('pn1').markDone('c1')
    await laterMillisecond()
    await tab2.inbox('pn1').markUnread('c1') // the later intent
    tab1.connect()
    tab2.connect()
    await tab1.whenSynced()
    await tab2.whenSynced()
    const settled = () =>
      tab1.inbox('pn1').get('c1')?.decidedBy?.deviceId === tab2.deviceId &&
      tab2.inbox('pn1').get('c1')?.decidedBy?.deviceId === tab2.deviceId
    await until(tab1, settled)
    expect(tab1.inbox('pn1').get('c1')).toMatchObject({ status: 'open', unread: true })
  })

  it('contacts sync field by field: two teammates editing one contact both keep their edit', async () => {
    const r = await relay()
    const alice = await openClient(r, 'alice@example.com')
    const bob = await openClient(r, 'bob@example.com')
    cleanups.push(
      () => alice.destroy(),
      () => bob.destroy(),
    )
    await alice.contacts().whenLoaded
    await bob.contacts().whenLoaded
    await alice.whenSynced()
    await bob.whenSynced()
    alice.disconnect()
    bob.disconnect()
    await alice.contacts().update('+15551230000', { name: 'Dana Lee' })
    await bob.contacts().update('+15551230000', { tags: { add: ['vip'] } })
    alice.connect()
    bob.connect()
    await alice.whenSynced()
    await bob.whenSynced()
    const merged = { number: '+15551230000', name: 'Dana Lee', tags: ['vip'] }
    await until(alice, () => alice.contacts().get('+15551230000').tags.length === 1)
    await until(bob, () => bob.contacts().get('+15551230000').name !== null)
    expect(alice.contacts().get('+15551230000')).toMatchObject(merged)
    expect(bob.contacts().get('+15551230000')).toMatchObject(merged)
  })
})
