/**
 * @module The relay's team administration and profile API (docs/team-admin.md): members,
 * invitations, access, the member's own name, password and sessions.
 */
import type { LoginResult } from './api.ts'
import { request, type ApiResult } from './api.ts'

export type Role = 'owner' | 'admin' | 'member' | 'viewer'
export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer']

/** A member as `GET /api/admin/members` lists them. */
export interface AdminMember {
  id: string
  email: string
  name: string
  role: Role
  createdAt: number
  deactivatedAt: number | null
  phoneNumberIds: string[]
  lastSeenAt: number | null
  online: boolean
}

export interface AdminPhoneNumber {
  id: string
  name: string
  number: string
}

export interface Invite {
  id: string
  email: string
  role: Role
  phoneNumberIds: string[]
  expiresAt: number
}

export interface CreatedInvite extends Invite {
  url: string
}

export interface SessionInfo {
  id: string
  createdAt: number
  refreshedAt: number
  userAgent: string | null
  ip: string | null
  current: boolean
}

type Body = Record<string, unknown>
const call = <T>(token: string, path: string, method = 'GET', body?: Body) =>
  request<T>(path, body === undefined ? { method, token } : { method, token, body })

export const listMembers = (token: string) =>
  call<{ members: AdminMember[] }>(token, '/api/admin/members')
export const listPhoneNumbers = (token: string) =>
  call<{ phoneNumbers: AdminPhoneNumber[] }>(token, '/api/admin/phone-numbers')
export const setRole = (token: string, memberId: string, role: Role) =>
  call(token, `/api/admin/members/${encodeURIComponent(memberId)}`, 'PATCH', { role })
export const removeMember = (token: string, memberId: string) =>
  call(token, `/api/admin/members/${encodeURIComponent(memberId)}`, 'DELETE')
/** Grants (`true`) or revokes a phone number. */
export const setAccess = (token: string, memberId: string, phoneNumberId: string, on: boolean) =>
  call(token, '/api/admin/access', on ? 'POST' : 'DELETE', { memberId, phoneNumberId })

export const listInvites = (token: string) =>
  call<{ invites: Invite[] }>(token, '/api/admin/invites')
export const createInvite = (
  token: string,
  body: { email: string; role: Role; phoneNumberIds: string[] },
) => call<CreatedInvite>(token, '/api/admin/invites', 'POST', body)
export const revokeInvite = (token: string, id: string) =>
  call(token, `/api/admin/invites/${encodeURIComponent(id)}`, 'DELETE')

/** What an invite link shows before anyone signs in. */
export const peekInvite = (inviteToken: string) =>
  request<{ email: string; role: Role; expiresAt: number }>(
    `/api/invites/${encodeURIComponent(inviteToken)}`,
  )
/** Accepts an invite: answers what a login answers. */
export const acceptInvite = (
  inviteToken: string,
  body: { name: string; password: string },
): Promise<ApiResult<LoginResult>> =>
  request(`/api/invites/${encodeURIComponent(inviteToken)}/accept`, { method: 'POST', body })

export const updateName = (token: string, name: string) =>
  call<{ member: { name: string } }>(token, '/api/me', 'PATCH', { name })
export const changePassword = (token: string, currentPassword: string, password: string) =>
  call<{ ended: string[] }>(token, '/api/me/password', 'POST', { currentPassword, password })
export const listSessions = (token: string) =>
  call<{ sessions: SessionInfo[] }>(token, '/api/sessions')
export const endSession = (token: string, id: string) =>
  call(token, `/api/sessions/${encodeURIComponent(id)}`, 'DELETE')
