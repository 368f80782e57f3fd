/**
 * Invitations (packages/core/SPEC.md "Access" [I1]–[I7]) through `app.request` on the real
 * SQLite store: who may invite whom, what the link shows, and accepting it once, whole.
 */
import { readWorkspace } from '@switchboard/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { inviteFixture, type InviteRelay } from './invite-fixture.ts'
import { INVITE_TTL_MS } from './invites.ts'

const relayWithInvites = inviteFixture({ publicUrl: 'https://switchboard.example' })
const relayOnOwnOrigin = inviteFixture()

const tokenOf = (url: unknown) => String(url).split('/invite/')[1]!

async function invite(r: InviteRelay, token: string, body: Record<string, unknown>) {
  return r.call('/api/admin/invites', { token, body })
}

async function workspaceDoc(r: InviteRelay) {
  const stored = await r.storage.loadRoom('workspace')
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u.data)
  return readWorkspace(doc)
}

describe('[I1]–[I7] invitations', () => {
  it('[I1] an owner’s invite answers a link on PUBLIC_URL whose 256-bit token the store never holds', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const res = await invite(r, token, {
      email: ' Nina@Example.com ',
      role: 'member',
      phoneNumberIds: ['pn-a', 'pn-b'],
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      email: 'nina@example.com',
      role: 'member',
      phoneNumberIds: ['pn-a', 'pn-b'],
    })
    expect(res.body.expiresAt).toBe(r.storage.listInvites()[0]!.createdAt + INVITE_TTL_MS)
    expect(String(res.body.url)).toMatch(/^https:\/\/switchboard\.example\/invite\/[\w-]{43}$/)
    const secret = tokenOf(res.body.url)
    const rows = JSON.stringify(r.storage.db.prepare('SELECT * FROM invites').all())
    expect(rows).not.toContain(secret)
    expect(JSON.stringify((await r.call('/api/admin/invites', { token })).body)).not.toContain(
      secret,
    )
  })

  it('[I1] without PUBLIC_URL the link is on the origin the admin reached the relay by', async () => {
    const r = await relayOnOwnOrigin()
    const { token } = await r.login('bob@example.com')
    const res = await invite(r, token, {
      email: 'n@example.com',
      role: 'admin',
      phoneNumberIds: [],
    })
    expect(res.status).toBe(201)
    expect(String(res.body.url)).toMatch(/^http:\/\/relay\.test\/invite\//)
  })

  it('[I1] a bad invite is refused naming its field, and nothing is stored', async () => {
    const r = await relayWithInvites()
    const alice = (await r.login('alice@example.com')).token
    const bob = (await r.login('bob@example.com')).token
    const carol = (await r.login('carol@example.com')).token
    const ok = { email: 'new@example.com', role: 'member', phoneNumberIds: ['pn-a'] }
    const cases: [string, Record<string, unknown>, number, string | undefined][] = [
      [alice, { ...ok, email: 'not-an-email' }, 400, 'email'],
      [alice, { ...ok, role: 'king' }, 400, 'role'],
      [alice, { ...ok, phoneNumberIds: ['pn-a', 'pn-zz'] }, 400, 'phoneNumberIds'],
      [alice, { ...ok, phoneNumberIds: 'pn-a' }, 400, 'phoneNumberIds'],
      [alice, { ...ok, email: 'Carol@example.com' }, 409, 'email'],
      // [S7] an admin cannot bring in an owner.
      [bob, { ...ok, role: 'owner' }, 403, 'role'],
    ]
    for (const [token, body, status, field] of cases) {
      const res = await invite(r, token, body)
      expect([res.status, res.body.field], JSON.stringify(body)).toEqual([status, field])
    }
    // A member is not an admin.
    expect((await invite(r, carol, ok)).status).toBe(403)
    expect(r.storage.listInvites()).toEqual([])
    // An owner may invite an owner.
    expect((await invite(r, alice, { ...ok, role: 'owner' })).status).toBe(201)
  })

  it('[I2] the link shows email, role and expiry without sign-in; unknown is 404, expired 410', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const made = await invite(r, token, {
      email: 'n@example.com',
      role: 'viewer',
      phoneNumberIds: ['pn-a'],
    })
    const secret = tokenOf(made.body.url)
    expect(await r.call(`/api/invites/${secret}`)).toEqual({
      status: 200,
      body: { email: 'n@example.com', role: 'viewer', expiresAt: made.body.expiresAt },
    })
    expect((await r.call(`/api/invites/${secret.slice(0, -1)}x`)).status).toBe(404)
    expect((await r.call('/api/invites/short')).status).toBe(404)
    r.advance(INVITE_TTL_MS)
    expect(await r.call(`/api/invites/${secret}`)).toMatchObject({
      status: 410,
      body: { error: 'invite expired' },
    })
    const late = await r.call(`/api/invites/${secret}/accept`, {
      body: { name: 'N', password: 'long-enough' },
    })
    expect([late.status, late.body.error]).toEqual([410, 'invite expired'])
    expect(r.storage.getMemberByEmail('n@example.com')).toBeNull()
  })

  it('[I3] accepting creates the member with that role and exactly those numbers, signed in as by /api/login', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const made = await invite(r, token, {
      email: 'nina@example.com',
      role: 'member',
      phoneNumberIds: ['pn-b'],
    })
    const secret = tokenOf(made.body.url)
    const accepted = await r.call(`/api/invites/${secret}/accept`, {
      body: { name: ' Nina ', password: 'nina-password' },
    })
    expect(accepted.status).toBe(200)
    expect(Object.keys(accepted.body).sort()).toEqual(
      ['expiresAt', 'member', 'refreshToken', 'sessionExpiresAt', 'token'].sort(),
    )
    const member = accepted.body.member as { id: string; name: string; role: string }
    expect(member).toMatchObject({ name: 'Nina', role: 'member', email: 'nina@example.com' })
    expect(r.storage.listAccess(member.id)).toEqual(['pn-b'])
    const me = await r.call('/api/me', { token: String(accepted.body.token) })
    expect(me.body).toMatchObject({ rooms: ['workspace', 'contacts', 'inbox:pn-b'] })
    // The workspace document every client reads has the member and their one number.
    const ws = await workspaceDoc(r)
    expect(ws.members.find((m) => m.id === member.id)?.name).toBe('Nina')
    expect(ws.access.get(member.id)).toEqual(['pn-b'])
    // The password works for a normal sign-in too.
    expect((await r.login('nina@example.com', 'nina-password')).member.id).toBe(member.id)
    // Not pending any more.
    expect((await r.call('/api/admin/invites', { token })).body.invites).toEqual([])
  })

  it('[I3] a used invite is refused with 410 and creates nothing; of two accepts at once one wins', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const made = await invite(r, token, {
      email: 'n@example.com',
      role: 'member',
      phoneNumberIds: [],
    })
    const secret = tokenOf(made.body.url)
    const body = { name: 'N', password: 'long-enough' }
    const both = await Promise.all([
      r.call(`/api/invites/${secret}/accept`, { body }),
      r.call(`/api/invites/${secret}/accept`, { body: { ...body, name: 'Other' } }),
    ])
    expect(both.map((x) => x.status).sort()).toEqual([200, 410])
    expect(both.find((x) => x.status === 410)?.body.error).toBe('invite already used')
    const members = r.storage.listMembers().length
    const again = await r.call(`/api/invites/${secret}/accept`, { body })
    expect([again.status, again.body.error]).toEqual([410, 'invite already used'])
    expect((await r.call(`/api/invites/${secret}`)).body.error).toBe('invite already used')
    expect(r.storage.listMembers()).toHaveLength(members)
  })

  it('[I3] a bad name or password is refused naming its field; the invite still works after', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const made = await invite(r, token, {
      email: 'n@example.com',
      role: 'member',
      phoneNumberIds: ['pn-a'],
    })
    const secret = tokenOf(made.body.url)
    const short = await r.call(`/api/invites/${secret}/accept`, {
      body: { name: 'N', password: 'short' },
    })
    expect([short.status, short.body.field]).toEqual([400, 'password'])
    const noName = await r.call(`/api/invites/${secret}/accept`, {
      body: { name: ' ', password: 'long-enough' },
    })
    expect([noName.status, noName.body.field]).toEqual([400, 'name'])
    expect(r.storage.getMemberByEmail('n@example.com')).toBeNull()
    expect(r.storage.listInvites()[0]?.usedAt).toBeUndefined()
    const ok = await r.call(`/api/invites/${secret}/accept`, {
      body: { name: 'N', password: 'long-enough' },
    })
    expect(ok.status).toBe(200)
  })

  it('[I4] a revoked invite and one replaced by a newer invite to the same email no longer work', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('bob@example.com')
    const first = await invite(r, token, {
      email: 'n@example.com',
      role: 'member',
      phoneNumberIds: [],
    })
    const second = await invite(r, token, {
      email: 'n@example.com',
      role: 'admin',
      phoneNumberIds: [],
    })
    const list = (await r.call('/api/admin/invites', { token })).body.invites as { id: string }[]
    expect(list.map((i) => i.id)).toEqual([second.body.id])
    expect(Object.keys(list[0]!).sort()).toEqual(
      ['createdAt', 'createdBy', 'email', 'expiresAt', 'id', 'phoneNumberIds', 'role'].sort(),
    )
    expect((await r.call(`/api/invites/${tokenOf(first.body.url)}`)).body.error).toBe(
      'invite revoked',
    )
    const revoked = await r.call(`/api/admin/invites/${second.body.id}`, {
      method: 'DELETE',
      token,
    })
    expect(revoked.status).toBe(200)
    const late = await r.call(`/api/invites/${tokenOf(second.body.url)}/accept`, {
      body: { name: 'N', password: 'long-enough' },
    })
    expect([late.status, late.body.error]).toEqual([410, 'invite revoked'])
    expect((await r.call('/api/admin/invites/nope', { method: 'DELETE', token })).status).toBe(404)
    expect(r.storage.getMemberByEmail('n@example.com')).toBeNull()
  })

  it('[I5] the invite of an admin removed (or demoted) since is refused as revoked', async () => {
    const r = await relayWithInvites()
    const bob = (await r.login('bob@example.com')).token
    const made = await invite(r, bob, {
      email: 'n@example.com',
      role: 'admin',
      phoneNumberIds: ['pn-a'],
    })
    await r.relay.admin.setRole('bob', 'member')
    const res = await r.call(`/api/invites/${tokenOf(made.body.url)}/accept`, {
      body: { name: 'N', password: 'long-enough' },
    })
    expect([res.status, res.body.error]).toEqual([410, 'invite revoked'])
    expect(r.storage.getMemberByEmail('n@example.com')).toBeNull()
  })

  it('[I6] a removed member invited again comes back under their id with only the invite’s role and numbers', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    await r.relay.admin.removeMember('carol')
    const made = await invite(r, token, {
      email: 'carol@example.com',
      role: 'viewer',
      phoneNumberIds: ['pn-b'],
    })
    expect(made.status).toBe(201)
    const res = await r.call(`/api/invites/${tokenOf(made.body.url)}/accept`, {
      body: { name: 'Carol Again', password: 'long-enough' },
    })
    expect(res.status).toBe(200)
    expect(res.body.member).toMatchObject({ id: 'carol', role: 'viewer', name: 'Carol Again' })
    expect(r.storage.getMember('carol')?.deactivatedAt).toBeUndefined()
    expect(r.storage.listAccess('carol')).toEqual(['pn-b'])
    const ws = await workspaceDoc(r)
    expect(ws.access.get('carol')).toEqual(['pn-b'])
    expect(ws.members.find((m) => m.id === 'carol')).not.toHaveProperty('deactivated')
  })

  it('[I7] an email that became a member after the invite is refused with 409 at accept', async () => {
    const r = await relayWithInvites()
    const { token } = await r.login('alice@example.com')
    const made = await invite(r, token, {
      email: 'n@example.com',
      role: 'member',
      phoneNumberIds: [],
    })
    await r.relay.admin.createMember({
      email: 'n@example.com',
      name: 'N',
      role: 'member',
      password: 'long-enough',
    })
    const res = await r.call(`/api/invites/${tokenOf(made.body.url)}/accept`, {
      body: { name: 'N2', password: 'long-enough' },
    })
    expect([res.status, res.body.field]).toEqual([409, 'email'])
    expect(r.storage.listInvites()[0]?.usedAt).toBeUndefined()
  })
})
