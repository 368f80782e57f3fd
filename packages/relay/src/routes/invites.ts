/**
 * @module Invitation routes (rules [I1]–[I8] in packages/core/SPEC.md): `/api/admin/invites`
 * (mounted inside the admin routes, behind their owner-or-admin check) and the link's own
 * `/api/invites/:token` (no sign-in: the token is the credential).
 */
import { Hono, type Context } from 'hono'
import type { Invites } from '../invites.ts'
import { inviteView } from '../invites.ts'
import type { LastSeen } from '../last-seen.ts'
import { readJson, type Vars } from '../http.ts'
import { publicMember } from '../member-views.ts'
import type { Sessions } from '../sessions.ts'

export interface AdminInviteDeps {
  invites: Invites
  /** The base URL of links (`PUBLIC_URL`); unset: the request's own origin. */
  publicUrl: string | undefined
}

/** Mounted at `/api/admin/invites` inside adminRoutes (which checks owner or admin). */
export function adminInviteRoutes(deps: AdminInviteDeps): Hono<Vars> {
  const { invites } = deps
  const app = new Hono<Vars>()
  app.get('/', (c) => c.json({ invites: invites.pending().map(inviteView) }))
  app.post('/', async (c) => {
    const body = await readJson(c)
    const { invite, token } = await invites.create(body, c.get('member'))
    const base = deps.publicUrl ?? new URL(c.req.url).origin
    const { id, email, role, phoneNumberIds, expiresAt } = inviteView(invite)
    return c.json(
      { id, email, role, phoneNumberIds, expiresAt, url: `${base}/invite/${token}` },
      201,
    )
  })
  app.delete('/:id', (c) => {
    invites.revoke(c.req.param('id'))
    return c.json({ ok: true })
  })
  return app
}

export interface InviteDeps {
  invites: Invites
  sessions: Sessions
  lastSeen: LastSeen
  clientIp: (c: Context) => string | undefined
}

/** Mounted at `/api`. */
export function inviteRoutes(deps: InviteDeps): Hono<Vars> {
  const { invites, sessions, lastSeen, clientIp } = deps
  const app = new Hono<Vars>()
  app.get('/invites/:token', async (c) => {
    const { email, role, expiresAt } = await invites.peek(c.req.param('token'))
    return c.json({ email, role, expiresAt })
  })
  // [I3] Answers what `/api/login` answers, so the new member is signed in at once.
  app.post('/invites/:token/accept', async (c) => {
    const body = await readJson(c)
    const member = await invites.accept(c.req.param('token'), body)
    const tokens = await sessions.open(member, {
      userAgent: c.req.header('user-agent'),
      ip: clientIp(c),
    })
    lastSeen.touch(member.id)
    return c.json({ ...tokens, member: publicMember(member) })
  })
  return app
}
