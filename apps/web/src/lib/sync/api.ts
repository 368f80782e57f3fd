/** @module The relay's HTTP API, same origin (docs/protocol.md). */
import type { Member, PhoneNumber } from '@switchboard/client'

export interface LoginResult {
  token: string
  expiresAt: number | string
  /** Single-use: each refresh returns the next one (docs/protocol.md "Sessions"). */
  refreshToken?: string
  member: Member
}

export interface Me {
  member: Member
  phoneNumbers: PhoneNumber[]
  rooms: string[]
}

/** Why a request failed, grouped by what the UI does about it. */
export const ApiErrorCode = {
  Unauthorized: 'unauthorized',
  Offline: 'offline',
  Rejected: 'rejected',
  Server: 'server',
} as const
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode]

/** `field` names what the relay found wrong (a 4xx's `{error, field}`), for the form to show. */
export type ApiResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: ApiErrorCode; message: string; field?: string; status?: number }

/** A JSON call to the relay on this origin, with a Bearer token when given. */
export async function request<T>(
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {}
  if (init.token) headers.authorization = `Bearer ${init.token}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  } catch {
    return { ok: false, code: 'offline', message: 'Cannot reach the server. Are you offline?' }
  }
  if (res.ok) {
    const value = (await res.json().catch(() => ({}))) as T
    return { ok: true, value }
  }
  const text = await res.text().catch(() => '')
  let message = text
  let field: string | undefined
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string; field?: string }
    message = parsed.message ?? parsed.error ?? text
    if (typeof parsed.field === 'string') field = parsed.field
  } catch {
    // plain-text error body
  }
  if (res.status === 401)
    return { ok: false, code: 'unauthorized', message: message || 'Unauthorized' }
  if (res.status >= 500) return { ok: false, code: 'server', message: message || res.statusText }
  const rejected = { ok: false as const, code: 'rejected' as const, status: res.status }
  return { ...rejected, message: message || res.statusText, ...(field ? { field } : {}) }
}

export function login(email: string, password: string): Promise<ApiResult<LoginResult>> {
  return request('/api/login', { method: 'POST', body: { email, password } })
}

export function refresh(refreshToken: string): Promise<ApiResult<LoginResult>> {
  return request('/api/refresh', { method: 'POST', body: { refreshToken } })
}

/** Ends the session on the relay (its access token, or the refresh token once that expired). */
export function logout(token: string, refreshToken?: string): Promise<ApiResult<{ ok: true }>> {
  return request('/api/logout', {
    method: 'POST',
    token,
    body: refreshToken ? { refreshToken } : {},
  })
}

export function me(token: string): Promise<ApiResult<Me>> {
  return request('/api/me', { token })
}

export function sendOutgoing(
  token: string,
  body: { conversationId: string; phoneNumberId: string; body: string },
): Promise<ApiResult<{ activityId?: string; delivery?: string; activity?: unknown }>> {
  return request('/api/outgoing', { method: 'POST', token, body })
}
