/** @module The workspace document: members, phone numbers and who may see which (relay-written). */
import type * as Y from 'yjs'
import { SEP } from './schema.ts'

export const MemberRole = {
  Owner: 'owner',
  Admin: 'admin',
  Member: 'member',
  Viewer: 'viewer',
} as const
export type MemberRole = (typeof MemberRole)[keyof typeof MemberRole]

export interface WorkspaceMember {
  id: string
  email: string
  name: string
  role: MemberRole
  /** The member was removed: kept so history still names them, but they cannot sign in. */
  deactivated?: boolean
}

export interface WorkspacePhoneNumber {
  id: string
  name: string
  number: string
  /** The provider it is connected through (issue 22); absent for the generic webhook. */
  provider?: 'twilio' | 'telnyx' | 'quo'
  /**
   * Set by the relay while the provider refuses the number's credentials (a 401/403 on a send):
   * the app shows a banner until an admin replaces them. Never the credentials themselves [K6].
   */
  providerStatus?: 'credentials-rejected'
  /** The longest reply the provider takes, in characters (1,600 for Twilio and Quo). */
  maxBodyLength?: number
}

export interface Workspace {
  members: WorkspaceMember[]
  phoneNumbers: WorkspacePhoneNumber[]
  /** memberId → phone number ids shared with that member. */
  access: Map<string, string[]>
}

export const workspaceRoots = {
  members: (doc: Y.Doc) => doc.getMap<WorkspaceMember>('members'),
  phoneNumbers: (doc: Y.Doc) => doc.getMap<WorkspacePhoneNumber>('phoneNumbers'),
  access: (doc: Y.Doc) => doc.getMap<true>('access'),
}

export function setMember(doc: Y.Doc, member: WorkspaceMember, origin: unknown = null): void {
  doc.transact(() => workspaceRoots.members(doc).set(member.id, member), origin)
}

export function removeMember(doc: Y.Doc, memberId: string, origin: unknown = null): void {
  doc.transact(() => {
    workspaceRoots.members(doc).delete(memberId)
    const access = workspaceRoots.access(doc)
    for (const key of [...access.keys()]) if (key.startsWith(memberId + SEP)) access.delete(key)
  }, origin)
}

export function setPhoneNumber(
  doc: Y.Doc,
  phoneNumber: WorkspacePhoneNumber,
  origin: unknown = null,
): void {
  doc.transact(() => workspaceRoots.phoneNumbers(doc).set(phoneNumber.id, phoneNumber), origin)
}

/** [N5] A removed number leaves the workspace, and every member's access to it with it. */
export function removePhoneNumber(doc: Y.Doc, phoneNumberId: string, origin: unknown = null): void {
  doc.transact(() => {
    workspaceRoots.phoneNumbers(doc).delete(phoneNumberId)
    const access = workspaceRoots.access(doc)
    for (const key of [...access.keys()]) if (key.endsWith(SEP + phoneNumberId)) access.delete(key)
  }, origin)
}

export function grantAccess(
  doc: Y.Doc,
  memberId: string,
  phoneNumberId: string,
  origin: unknown = null,
): void {
  doc.transact(() => workspaceRoots.access(doc).set(memberId + SEP + phoneNumberId, true), origin)
}

export function revokeAccess(
  doc: Y.Doc,
  memberId: string,
  phoneNumberId: string,
  origin: unknown = null,
): void {
  doc.transact(() => workspaceRoots.access(doc).delete(memberId + SEP + phoneNumberId), origin)
}

export function readWorkspace(doc: Y.Doc): Workspace {
  const access = new Map<string, string[]>()
  for (const key of workspaceRoots.access(doc).keys()) {
    const [memberId, phoneNumberId] = key.split(SEP) as [string, string]
    const list = access.get(memberId) ?? []
    list.push(phoneNumberId)
    access.set(memberId, list)
  }
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name)
  return {
    members: [...workspaceRoots.members(doc).values()].sort(byName),
    phoneNumbers: [...workspaceRoots.phoneNumbers(doc).values()].sort(byName),
    access,
  }
}
