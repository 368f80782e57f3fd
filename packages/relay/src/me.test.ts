/**
 * A member's own profile ([S12]) and the admin's member list (numbers, last seen), through
 * `app.request` on the real SQLite store.
 */
import { describe, expect, it } from 'vitest'
import { inviteFixture } from './invite-fixture.ts'
import { PASSWORD } from './test-helpers.ts'

const relay = inviteFixture()

describe('a member’s own profile', () => {
  it('PATCH /api/me renames the member, in the store and the workspace document; a blank name is refused', async () => {
    const r = await relay()
    const { token } = await r.login('carol@example.com')
    const res = await r.call('/api/me', { method: 'PATCH', token, body: { name: ' Caroline ' } })
    expect(res).toMatchObject({ status: 200, body: { member: { id: 'carol', name: 'Caroline' } } })
    expect(r.storage.getMember('carol')?.name).toBe('Caroline')
    const blank = await r.call('/api/me', { method: 'PATCH', token, body: { name: '' } })
    expect([blank.status, blank.body.field]).toEqual([400, 'name'])
    expect((await r.call('/api/me', { method: 'PATCH', body: { name: 'X' } })).status).toBe(401)
  })

  it('[S12] a password change needs the current password and ends the member’s other sessions, not this one', async () => {
    const r = await relay()
    const laptop = (await r.login('carol@example.com')).token
    const phone = (await r.login('carol@example.com')).token
    const wrong = await r.call('/api/me/password', {
      token: laptop,
      body: { currentPassword: 'guess-guess', password: 'new-password' },
    })
    expect([wrong.status, wrong.body.field]).toEqual([400, 'currentPassword'])
    const short = await r.call('/api/me/password', {
      token: laptop,
      body: { currentPassword: PASSWORD, password: 'short' },
    })
    expect([short.status, short.body.field]).toEqual([400, 'password'])
    expect((await r.call('/api/me', { token: phone })).status).toBe(200)

    const ok = await r.call('/api/me/password', {
      token: laptop,
      body: { currentPassword: PASSWORD, password: 'new-password' },
    })
    expect(ok.status).toBe(200)
    expect((ok.body.ended as string[]).length).toBe(1)
    expect((await r.call('/api/me', { token: laptop })).status).toBe(200)
    expect(await r.call('/api/me', { token: phone })).toMatchObject({
      status: 401,
      body: { code: 'session-ended' },
    })
    expect(
      (await r.call('/api/login', { body: { email: 'carol@example.com', password: PASSWORD } }))
        .status,
    ).toBe(401)
    expect((await r.login('carol@example.com', 'new-password')).member.id).toBe('carol')
  })

  it('[S12] guesses of the current password are throttled like logins', async () => {
    const r = await relay()
    const { token } = await r.login('carol@example.com')
    const statuses: number[] = []
    for (let i = 0; i < 7; i++)
      statuses.push(
        (
          await r.call('/api/me/password', {
            token,
            body: { currentPassword: `guess-${i}-guess`, password: 'new-password' },
          })
        ).status,
      )
    expect(statuses.slice(0, 4)).toEqual([400, 400, 400, 400])
    expect(statuses.at(-1)).toBe(429)
  })
})

describe('GET /api/admin/members', () => {
  it('lists each member’s role, phone numbers and last activity, keeping the fields it had', async () => {
    const r = await relay()
    const { token } = await r.login('alice@example.com')
    const res = await r.call('/api/admin/members', { token })
    const members = res.body.members as Record<string, unknown>[]
    const alice = members.find((m) => m.id === 'alice')!
    expect(alice).toMatchObject({
      email: 'alice@example.com',
      role: 'owner',
      phoneNumberIds: ['pn-a', 'pn-b'],
      deactivatedAt: null,
      online: false,
    })
    expect(typeof alice.createdAt).toBe('number')
    expect(typeof alice.lastSeenAt).toBe('number')
    const erin = members.find((m) => m.id === 'erin')!
    expect(erin).toMatchObject({ phoneNumberIds: ['pn-b'], lastSeenAt: null })
  })
})
