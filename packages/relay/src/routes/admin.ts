/**
 * @module The admin API under `/api/admin` (owner or admin; restores owner only): members, roles,
 * passwords, sessions, phone numbers, access, epochs, restores. The rules live in admin.ts.
 */
import { parseRoom, workspaceRoots } from '@switchboard/core'
import { Hono, type Context } from 'hono'
import type * as Y from 'yjs'
import type { Admin, NewMember, NewPhoneNumber } from '../admin.ts'
import type { Invites } from '../invites.ts'
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
import { adminInviteRoutes } from './invites.ts'
import type { MemberRole, PhoneNumberRecord, RelayStorage } from '../storage/relay-storage.ts'

export interface AdminRoutesDeps {
  storage: RelayStorage
  metrics: Metrics
  authenticate: Authenticate
  admin: Admin
  startEpoch(name: string): Promise<EpochReport>
  /** Reads a room's document (the workspace's provider status banners, [O5]). */
  readRoom<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T>
  /** The base URL providers call (`PUBLIC_URL`); unset: the request's own origin. */
  publicUrl: string | undefined
  invites: Invites
  /** Members with a socket open now. */
  online(): ReadonlySet<string>
}

/**
 * [K8] Where a number's webhooks go: its provider's route, or the generic signed webhook. Built on
 * PUBLIC_URL, else on the origin the admin reached the relay by.
 */
export function webhookUrl(base: string, pn: PhoneNumberRecord): string {
  return pn.provider
    ? `${base}/api/webhooks/${pn.provider}/${encodeURIComponent(pn.id)}`
    : `${base}/api/webhooks/activity`
}

/** Mounted at `/api/admin`. */
export function adminRoutes(deps: AdminRoutesDeps): Hono<Vars> {
  const { storage, metrics, admin, startEpoch } = deps
  const app = new Hono<Vars>()
  /** A number as the admin API answers it: credentials never, its webhook URL always [K6]. */
  const connected = (c: Context<Vars>, pn: PhoneNumberRecord) => ({
    id: pn.id,
    webhookUrl: webhookUrl(deps.publicUrl ?? new URL(c.req.url).origin, pn),
    phoneNumber: pn,
  })
  app.use('*', requireMember(deps.authenticate, metrics), requireAdmin(metrics))
  // Each member with their numbers and last activity (null: never seen since issue 23).
  app.get('/members', (c) => {
    const seen = storage.listLastSeen()
    const online = deps.online()
    return c.json({
      members: storage.listMembers().map((m) => ({
        ...adminMember(m),
        phoneNumberIds: storage.listAccess(m.id),
        lastSeenAt: seen.get(m.id) ?? null,
        online: online.has(m.id),
      })),
    })
  })
  app.route('/invites', adminInviteRoutes({ invites: deps.invites, publicUrl: deps.publicUrl }))
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
  // [N2] Each number with who has access (members who can sign in), where its webhooks go and
  // the provider's status the workspace document shows [O5].
  app.get('/phone-numbers', async (c) => {
    const status = await deps.readRoom('workspace', (doc) => {
      const out = new Map<string, string>()
      for (const [id, pn] of workspaceRoots.phoneNumbers(doc))
        if (pn.providerStatus) out.set(id, pn.providerStatus)
      return out
    })
    const holders = new Map<string, string[]>()
    for (const m of storage.listMembers())
      if (m.deactivatedAt === undefined)
        for (const pn of storage.listAccess(m.id))
          holders.set(pn, [...(holders.get(pn) ?? []), m.id])
    return c.json({
      phoneNumbers: storage.listPhoneNumbers().map((pn) => ({
        ...pn,
        memberIds: holders.get(pn.id) ?? [],
        ...(status.has(pn.id) ? { providerStatus: status.get(pn.id) } : {}),
        webhookUrl: connected(c, pn).webhookUrl,
      })),
    })
  })
  app.post('/phone-numbers', async (c) => {
    const body = await readJson(c)
    const pn = await admin.createPhoneNumber(body as unknown as NewPhoneNumber, c.get('member'))
    return c.json(connected(c, pn), 201)
  })
  // [K7] Replaces a number's credentials (a rotation after a leak), or connects a number.
  app.put('/phone-numbers/:id/credentials', async (c) => {
    const { provider, credentials } = await readJson(c)
    const pn = await admin.setCredentials(
      c.req.param('id'),
      { provider, credentials },
      c.get('member'),
    )
    return c.json(connected(c, pn))
  })
  app.patch('/phone-numbers/:id', async (c) => {
    const { name } = await readJson(c)
    const pn = await admin.renamePhoneNumber(c.req.param('id'), name, c.get('member'))
    return c.json(connected(c, pn))
  })
  // [N4] Owner only, confirmed by typing the number; the rooms are archived [N6].
  app.delete('/phone-numbers/:id', async (c) => {
    const { confirm } = await readJson(c)
    const archived = await admin.removePhoneNumber(c.req.param('id'), confirm, c.get('member'))
    return c.json({ archived })
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
    // [N6] An archived number's rooms are kept as they are.
    if (!storage.getPhoneNumber(parsed.id!))
      throw jsonError(404, 'no such phone number', { field: 'room' })
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
