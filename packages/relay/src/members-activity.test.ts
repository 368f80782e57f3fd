/**
 * The admin's member list on real sockets: `online` while a member has a socket open, and
 * `lastSeenAt` once they signed in (last-seen.ts).
 */
import { describe, expect, it } from 'vitest'
import { accessFixture } from './access-fixture.ts'
import { api } from './test-helpers.ts'

const { relayOnSqlite, open } = accessFixture()

interface Listed {
  id: string
  online: boolean
  lastSeenAt: number | null
  phoneNumberIds: string[]
}

describe('GET /api/admin/members: activity', () => {
  it('a member is online while a socket of theirs is open, and seen once they signed in', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const list = async () =>
      (
        (await (await api(r, '/api/admin/members', { token: alice })).json()) as {
          members: Listed[]
        }
      ).members
    const carolOf = async () => (await list()).find((m) => m.id === 'carol')!
    expect(await carolOf()).toMatchObject({
      online: false,
      lastSeenAt: null,
      phoneNumberIds: ['pn-a'],
    })
    const token = await r.login('carol@example.com')
    expect((await carolOf()).lastSeenAt).toEqual(expect.any(Number))
    const socket = await open(r, 'inbox:pn-a', token)
    expect((await carolOf()).online).toBe(true)
    socket.ws.close()
    const started = Date.now()
    while ((await carolOf()).online) {
      expect(Date.now() - started, 'carol offline within 5 s').toBeLessThan(5000)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
})
