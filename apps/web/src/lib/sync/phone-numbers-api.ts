/**
 * @module The admin API of phone numbers and access (owners and admins), as Settings calls it:
 * each failure carries the relay's message and the field it names, for the form to point at.
 */
import { session } from './session.svelte.ts'
import { formatPhoneNumber } from '../util/phone-number.ts'

export type ProviderName = 'twilio' | 'telnyx' | 'quo'

/** A number as `GET /api/admin/phone-numbers` lists it [N2]. */
export interface AdminPhoneNumber {
  id: string
  name: string
  number: string
  provider?: ProviderName
  providerStatus?: 'credentials-rejected'
  memberIds: string[]
  webhookUrl: string
}

export interface AdminMember {
  id: string
  name: string
  email: string
  role: 'owner' | 'admin' | 'member' | 'viewer'
  deactivatedAt: number | null
}

/** What a provider's credentials are made of, in the order the form asks for them [K4]. */
export const PROVIDER_FIELDS: Record<ProviderName, { key: string; label: string }[]> = {
  twilio: [
    { key: 'accountSid', label: 'Account SID' },
    { key: 'authToken', label: 'Auth token' },
  ],
  telnyx: [
    { key: 'apiKey', label: 'API key' },
    { key: 'publicKey', label: 'Public key' },
  ],
  quo: [
    { key: 'apiKey', label: 'API key' },
    { key: 'webhookSecret', label: 'Webhook secret' },
  ],
}

export const PROVIDER_LABELS: Record<ProviderName, string> = {
  twilio: 'Twilio',
  telnyx: 'Telnyx',
  quo: 'Quo',
}

export type AdminResult<T> = { ok: true; value: T } | { ok: false; message: string; field?: string }

async function call<T>(path: string, method: string, body?: unknown): Promise<AdminResult<T>> {
  const token = session.current?.token
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    return { ok: false, message: 'Cannot reach the server. Are you offline?' }
  }
  const parsed = (await res.json().catch(() => ({}))) as T & { error?: string; field?: string }
  if (res.ok) return { ok: true, value: parsed }
  return {
    ok: false,
    message: parsed.error ?? `${res.status} ${res.statusText}`,
    ...(parsed.field ? { field: parsed.field } : {}),
  }
}

export const listPhoneNumbers = () =>
  call<{ phoneNumbers: AdminPhoneNumber[] }>('/api/admin/phone-numbers', 'GET')

export const listMembers = () => call<{ members: AdminMember[] }>('/api/admin/members', 'GET')

/** The answer to adding a number or replacing its credentials: where its webhooks go [K8]. */
export interface Connected {
  id: string
  webhookUrl: string
}

export const addPhoneNumber = (body: {
  name: string
  number: string
  provider?: ProviderName
  credentials?: Record<string, string>
}) => call<Connected>('/api/admin/phone-numbers', 'POST', body)

export const renamePhoneNumber = (id: string, name: string) =>
  call<Connected>(`/api/admin/phone-numbers/${encodeURIComponent(id)}`, 'PATCH', { name })

export const replaceCredentials = (
  id: string,
  body: { provider: ProviderName; credentials: Record<string, string> },
) => call<Connected>(`/api/admin/phone-numbers/${encodeURIComponent(id)}/credentials`, 'PUT', body)

export const removePhoneNumber = (id: string, confirm: string) =>
  call<{ archived: unknown }>(`/api/admin/phone-numbers/${encodeURIComponent(id)}`, 'DELETE', {
    confirm,
  })

/** Grants (or with `give` false, revokes) a member's access to a number. */
export const setAccess = (memberId: string, phoneNumberId: string, give: boolean) =>
  call<{ ok: true }>('/api/admin/access', give ? 'POST' : 'DELETE', { memberId, phoneNumberId })

/** `+14155550142` → `+1 415 555 0142`: a workspace number always with its calling code. */
export function formatNumber(number: string): string {
  return formatPhoneNumber(number, { style: 'international' })
}
