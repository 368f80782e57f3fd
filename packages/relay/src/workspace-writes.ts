/**
 * @module The relay's writes of the workspace document as data, not closures (admin changes,
 * invites, a member's profile, a number's rejected credentials): so that on several relays the
 * room's owner can make them for the relay that was asked (scale/owner-requests.ts) instead of
 * that relay taking the room. Applying the same writes again changes nothing.
 */
import {
  grantAccess,
  removePhoneNumber,
  revokeAccess,
  setMember,
  setPhoneNumber,
  workspaceRoots,
  type WorkspaceMember,
  type WorkspacePhoneNumber,
} from '@switchboard/core'
import type * as Y from 'yjs'
import { RELAY_ORIGIN } from './room.ts'

export type WorkspaceWrite =
  | { op: 'member'; member: WorkspaceMember }
  /** `keepStatus`: a rename keeps what only the document holds, the provider's banner [O5]. */
  | { op: 'phone-number'; phoneNumber: WorkspacePhoneNumber; keepStatus?: boolean }
  | { op: 'remove-phone-number'; phoneNumberId: string }
  | { op: 'grant' | 'revoke'; memberId: string; phoneNumberId: string }
  /** [O5] Sets or clears `providerStatus: 'credentials-rejected'` of a number shown. */
  | { op: 'credentials-rejected'; phoneNumberId: string; rejected: boolean }

/** Makes `writes` in the workspace room, as the relay; resolves once durable. */
export type WriteWorkspace = (writes: WorkspaceWrite[]) => Promise<void>

/** The workspace writer over a relay's `writeRoom` (one relay: the direct path). */
export const workspaceWriter =
  (writeRoom: (name: string, fn: (doc: Y.Doc) => void) => Promise<void>): WriteWorkspace =>
  (writes) =>
    writeRoom('workspace', (doc) => applyWorkspaceWrites(doc, writes))

export function applyWorkspaceWrites(doc: Y.Doc, writes: readonly WorkspaceWrite[]): void {
  for (const w of writes) {
    if (w.op === 'member') setMember(doc, w.member, RELAY_ORIGIN)
    else if (w.op === 'phone-number') {
      const status = w.keepStatus
        ? workspaceRoots.phoneNumbers(doc).get(w.phoneNumber.id)?.providerStatus
        : undefined
      setPhoneNumber(
        doc,
        status ? { ...w.phoneNumber, providerStatus: status } : w.phoneNumber,
        RELAY_ORIGIN,
      )
    } else if (w.op === 'remove-phone-number') removePhoneNumber(doc, w.phoneNumberId, RELAY_ORIGIN)
    else if (w.op === 'grant') grantAccess(doc, w.memberId, w.phoneNumberId, RELAY_ORIGIN)
    else if (w.op === 'revoke') revokeAccess(doc, w.memberId, w.phoneNumberId, RELAY_ORIGIN)
    else if (w.op === 'credentials-rejected') credentialsRejected(doc, w.phoneNumberId, w.rejected)
  }
}

function credentialsRejected(doc: Y.Doc, phoneNumberId: string, rejected: boolean): void {
  const pn = workspaceRoots.phoneNumbers(doc).get(phoneNumberId)
  if (!pn || (pn.providerStatus === 'credentials-rejected') === rejected) return
  const { providerStatus: _, ...rest } = pn
  setPhoneNumber(
    doc,
    rejected ? { ...rest, providerStatus: 'credentials-rejected' } : rest,
    RELAY_ORIGIN,
  )
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 1000
const ROLES = new Set(['owner', 'admin', 'member', 'viewer'])
const PROVIDERS = new Set(['twilio', 'telnyx', 'quo'])

function member(v: Record<string, unknown>): WorkspaceMember | null {
  if (!isString(v.id) || !isString(v.email) || !isString(v.name)) return null
  if (typeof v.role !== 'string' || !ROLES.has(v.role)) return null
  const m: WorkspaceMember = {
    id: v.id,
    email: v.email,
    name: v.name,
    role: v.role as WorkspaceMember['role'],
  }
  if (v.deactivated === true) m.deactivated = true
  return m
}

function phoneNumber(v: Record<string, unknown>): WorkspacePhoneNumber | null {
  if (!isString(v.id) || !isString(v.name) || !isString(v.number)) return null
  const pn: WorkspacePhoneNumber = { id: v.id, name: v.name, number: v.number }
  if (v.provider !== undefined) {
    if (typeof v.provider !== 'string' || !PROVIDERS.has(v.provider)) return null
    pn.provider = v.provider as NonNullable<WorkspacePhoneNumber['provider']>
  }
  if (v.providerStatus === 'credentials-rejected') pn.providerStatus = v.providerStatus
  if (typeof v.maxBodyLength === 'number') pn.maxBodyLength = v.maxBodyLength
  return pn
}

const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null

/** Workspace writes another relay sent, each field checked; null when any is not one. */
export function parseWorkspaceWrites(value: unknown): WorkspaceWrite[] | null {
  if (!Array.isArray(value) || value.length > 1000) return null
  const out: WorkspaceWrite[] = []
  for (const item of value) {
    const w = record(item)
    if (!w) return null
    if (w.op === 'member') {
      const m = member(record(w.member) ?? {})
      if (!m) return null
      out.push({ op: 'member', member: m })
    } else if (w.op === 'phone-number') {
      const pn = phoneNumber(record(w.phoneNumber) ?? {})
      if (!pn) return null
      out.push({ op: 'phone-number', phoneNumber: pn, keepStatus: w.keepStatus === true })
    } else if (w.op === 'remove-phone-number' && isString(w.phoneNumberId))
      out.push({ op: 'remove-phone-number', phoneNumberId: w.phoneNumberId })
    else if (
      (w.op === 'grant' || w.op === 'revoke') &&
      isString(w.memberId) &&
      isString(w.phoneNumberId)
    )
      out.push({ op: w.op, memberId: w.memberId, phoneNumberId: w.phoneNumberId })
    else if (
      w.op === 'credentials-rejected' &&
      isString(w.phoneNumberId) &&
      typeof w.rejected === 'boolean'
    )
      out.push({ op: 'credentials-rejected', phoneNumberId: w.phoneNumberId, rejected: w.rejected })
    else return null
  }
  return out
}
