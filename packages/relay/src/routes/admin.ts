/**
 * @module The admin API under `/api/admin` (owner or admin; restores owner only): members, roles,
 * passwords, sessions, phone numbers, access, epochs, restores. The rules live in admin.ts.
 */
import { parseRoom } from '@switchboard/core'
import { Hono } from 'hono'
import type { Admin, NewMember } from '../admin.ts'
import type { EpochReport } from '../epochs.ts'
import {
  jsonError,
  readJson,
  requireAdmin,
  requireMember,
  type Authenticate,
  type Vars,
} from '../http.ts'
import { adminMember, publicMember } from '../member-views.ts'
import type { Metrics } from '../metrics.ts'
import type { MemberRole, RelayStorage } from '../storage/relay-storage.ts'

export interface AdminRoutesDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  admin: Admin
  startEpoch(name: string): Promise<EpochReport>
}

/** Mounted at `/api/admin`. */
export function adminRoutes(deps: AdminRoutesDeps): Hono<Vars> {
  const { storage, metrics, admin, startEpoch } = deps
  const app = new Hono<Vars>()
  app.use('*', requireMember(deps.authenticate, metrics), requireAdmin(metrics))
  app.get('/members', (c) => c.json({ members: storage.listMembers().map(adminMember) }))
  app.post('/members', async (c) => {
    const body = await readJson(c)
    const member = await admin.createMember(body as unknown as NewMember, {
      actor: c.get('member'),
    })
    return c.json({ member: publicMember(member) }, 201)
  })
  app.patch('/members/:id', async (c) => {
    const { role } = await readJson(c)
    const member = await admin.setRole(c.req.param('id'), role as MemberRole, c.get('member'))
    return c.json({ member: adminMember(member) })
  })
  app.delete('/members/:id', async (c) => {
    const member = await admin.removeMember(c.req.param('id'), c.get('member'))
    return c.json({ member: adminMember(member) })
  })
  app.post('/members/:id/password', async (c) => {
    const { password } = await readJson(c)
    await admin.resetPassword(c.req.param('id'), password as string, c.get('member'))
    return c.json({ ok: true })
  })
  app.get('/members/:id/sessions', (c) =>
    c.json({
      sessions: admin.listSessions(c.req.param('id'), { all: c.req.query('all') === '1' }),
    }),
  )
  app.delete('/members/:id/sessions', (c) =>
    c.json({ ended: admin.revokeSessions(c.req.param('id'), undefined, c.get('member')) }),
  )
  app.delete('/members/:id/sessions/:sessionId', (c) =>
    c.json({
      ended: admin.revokeSessions(c.req.param('id'), c.req.param('sessionId'), c.get('member')),
    }),
  )
  app.get('/phone-numbers', (c) => c.json({ phoneNumbers: storage.listPhoneNumbers() }))
  app.post('/phone-numbers', async (c) => {
    const body = await readJson(c)
    const pn = await admin.createPhoneNumber(body as { name: string; number: string; id?: string })
    return c.json({ phoneNumber: pn }, 201)
  })
  app.post('/access', async (c) => {
    const { memberId, phoneNumberId } = await readJson(c)
    await admin.grant(String(memberId), String(phoneNumberId))
    return c.json({ ok: true })
  })
  app.delete('/access', async (c) => {
    const { memberId, phoneNumberId } = await readJson(c)
    await admin.revoke(String(memberId), String(phoneNumberId), c.get('member'))
    return c.json({ ok: true })
  })
  app.post('/rooms/:room/epoch', async (c) => {
    const name = c.req.param('room')
    const parsed = parseRoom(name)
    if (!parsed || parsed.kind !== 'inbox')
      throw jsonError(400, 'only inbox rooms have epochs', { field: 'room' })
    return c.json(await startEpoch(name))
  })
  // Owner only: a restore writes over every member's triage since `at` (docs/restore.md).
  app.post('/restore', async (c) => {
    const member = c.get('member')
    if (member.role !== 'owner') {
      metrics.authFailure('not-owner')
      throw jsonError(403, 'owner role required')
    }
    const { room, at } = await readJson(c)
    return c.json(await admin.restore(String(room ?? ''), at, member.id))
  })
  return app
}
