/**
 * Role rules (packages/core/SPEC.md "Access" [S7]–[S11]), on real sockets and the real SQLite
 * store: who makes and removes owners, what an admin may do to an owner, and what a role change
 * or a password reset does to the member's sockets and sessions.
 */
import { describe, expect, it } from 'vitest'
import { accessFixture, closedWith } from './access-fixture.ts'
import { CloseCode } from '@switchboard/protocol'
import { PASSWORD, until, api } from './test-helpers.ts'

const { relayOnSqlite, socket } = accessFixture()

describe('[S7]–[S11] role rules', () => {
  it('[S7] only an owner makes owners or changes an owner’s role', async () => {
    const r = await relayOnSqlite()
    const bob = await r.login('bob@example.com')
    const alice = await r.login('alice@example.com')
    const promote = await api(r, '/api/admin/members/carol', {
      method: 'PATCH',
      token: bob,
      body: { role: 'owner' },
    })
    expect([promote.status, ((await promote.json()) as { field: string }).field]).toEqual([
      403,
      'role',
    ])
    const create = await api(r, '/api/admin/members', {
      token: bob,
      body: { email: 'olga@example.com', name: 'Olga', role: 'owner', password: 'long-enough' },
    })
    expect(create.status).toBe(403)
    expect(
      (
        await api(r, '/api/admin/members/alice', {
          method: 'PATCH',
          token: bob,
          body: { role: 'member' },
        })
      ).status,
    ).toBe(403)
    // An admin may change a member's role below owner.
    const toViewer = await api(r, '/api/admin/members/carol', {
      method: 'PATCH',
      token: bob,
      body: { role: 'viewer' },
    })
    expect(toViewer.status).toBe(200)
    const byOwner = await api(r, '/api/admin/members/carol', {
      method: 'PATCH',
      token: alice,
      body: { role: 'owner' },
    })
    expect([
      byOwner.status,
      ((await byOwner.json()) as { member: { role: string } }).member.role,
    ]).toEqual([200, 'owner'])
    const bad = await api(r, '/api/admin/members/carol', {
      method: 'PATCH',
      token: alice,
      body: { role: 'king' },
    })
    expect([bad.status, ((await bad.json()) as { field: string }).field]).toEqual([400, 'role'])
    expect(
      (
        await api(r, '/api/admin/members/nobody', {
          method: 'PATCH',
          token: alice,
          body: { role: 'member' },
        })
      ).status,
    ).toBe(404)
  })

  it('[S8] nobody removes or demotes the last owner', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const demote = await api(r, '/api/admin/members/alice', {
      method: 'PATCH',
      token: alice,
      body: { role: 'admin' },
    })
    expect(demote.status).toBe(409)
    expect(((await demote.json()) as { error: string }).error).toMatch(/last owner/)
    expect(
      (await api(r, '/api/admin/members/alice', { method: 'DELETE', token: alice })).status,
    ).toBe(409)
    await expect(r.relay.admin.removeMember('alice')).rejects.toMatchObject({ status: 409 })
    expect(
      (
        await api(r, '/api/admin/members/erin', {
          method: 'PATCH',
          token: alice,
          body: { role: 'owner' },
        })
      ).status,
    ).toBe(200)
    // A removed owner does not count: erin removed, alice is the last again.
    expect(
      (await api(r, '/api/admin/members/erin', { method: 'DELETE', token: alice })).status,
    ).toBe(200)
    expect(
      (
        await api(r, '/api/admin/members/alice', {
          method: 'PATCH',
          token: alice,
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(409)
    await r.relay.admin.setRole('carol', 'owner')
    expect(
      (
        await api(r, '/api/admin/members/alice', {
          method: 'PATCH',
          token: alice,
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(200)
  })

  it('[S9] an admin cannot revoke an owner’s access, sessions or password', async () => {
    const r = await relayOnSqlite()
    const bob = await r.login('bob@example.com')
    const alice = await r.session('alice@example.com')
    const c = socket(r, 'inbox:pn-a', alice.token)
    await c.synced
    const tries = [
      await api(r, '/api/admin/access', {
        method: 'DELETE',
        token: bob,
        body: { memberId: 'alice', phoneNumberId: 'pn-a' },
      }),
      await api(r, '/api/admin/members/alice/sessions', { method: 'DELETE', token: bob }),
      await api(r, '/api/admin/members/alice/password', {
        token: bob,
        body: { password: 'taken-over!' },
      }),
      await api(r, '/api/admin/members/alice', { method: 'DELETE', token: bob }),
    ]
    expect(tries.map((t) => t.status)).toEqual([403, 403, 403, 403])
    expect(r.relay.storage.listAccess('alice')).toEqual(['pn-a', 'pn-b'])
    expect((await api(r, '/api/me', { token: alice.token })).status).toBe(200)
    expect(c.closes).toEqual([])
    // An admin may still act on members and admins.
    expect(
      (
        await api(r, '/api/admin/access', {
          method: 'DELETE',
          token: bob,
          body: { memberId: 'carol', phoneNumberId: 'pn-a' },
        })
      ).status,
    ).toBe(200)
  })

  it('[S10] a role change closes the member’s sockets with 4401; they rejoin under the new role', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const carol = await r.login('carol@example.com')
    const c = socket(r, 'inbox:pn-a', carol)
    await c.synced
    await api(r, '/api/admin/members/carol', {
      method: 'PATCH',
      token: alice,
      body: { role: 'viewer' },
    })
    await until(() => c.closes.some((x) => x.code === CloseCode.Unauthorized), 'role change close')
    const me = (await (await api(r, '/api/me', { token: carol })).json()) as {
      member: { role: string }
    }
    expect(me.member.role).toBe('viewer')
  })

  it('[S11] a password reset ends every session of the member; the new password logs in', async () => {
    const r = await relayOnSqlite()
    const alice = await r.login('alice@example.com')
    const s = await r.session('carol@example.com')
    const c = socket(r, 'contacts', s.token)
    await c.synced
    const short = await api(r, '/api/admin/members/carol/password', {
      token: alice,
      body: { password: 'short' },
    })
    expect([short.status, ((await short.json()) as { field: string }).field]).toEqual([
      400,
      'password',
    ])
    const reset = await api(r, '/api/admin/members/carol/password', {
      token: alice,
      body: { password: 'a-new-secret' },
    })
    expect(reset.status).toBe(200)
    await closedWith(c, CloseCode.SessionEnded, 'socket closed by the reset')
    expect((await api(r, '/api/me', { token: s.token })).status).toBe(401)
    expect(
      (await api(r, '/api/login', { body: { email: 'carol@example.com', password: PASSWORD } }))
        .status,
    ).toBe(401)
    expect(
      (
        await api(r, '/api/login', {
          body: { email: 'carol@example.com', password: 'a-new-secret' },
        })
      ).status,
    ).toBe(200)
  })
})
