/**
 * @module Who may be assigned a conversation [G1]–[G4]: a member who can answer it, that is one
 * with access to its phone number, not removed, and not a viewer. The relay refuses an update
 * that assigns anyone else; replicas use the same rule to offer, rebase and flag assignments.
 *
 * Access is read as the relay grants it (the workspace's access map): owners and admins too need
 * the number shared with them, as they do to open its inbox.
 */
import type { Workspace } from './workspace.ts'

/** What the rule needs to know of the workspace; the relay reads its store, replicas the doc. */
export interface AssigneeDirectory {
  member(id: string): { name: string; role: string; deactivated?: boolean } | null
  phoneNumber(id: string): { name: string; number: string } | null
  hasAccess(memberId: string, phoneNumberId: string): boolean
}

/**
 * Why `memberId` cannot be assigned a conversation of `phoneNumberId` ("Erin Walsh has no access
 * to Support (+14155550142)"), or null when they can. Unassigning (null) is never judged here.
 */
export function assignRefusal(
  directory: AssigneeDirectory,
  memberId: string,
  phoneNumberId: string,
): string | null {
  const member = directory.member(memberId)
  if (!member) return `${memberId} is not a member of this workspace`
  if (member.deactivated) return `${member.name} was removed from the workspace`
  if (member.role === 'viewer') return `${member.name} is a viewer and cannot answer conversations`
  if (!directory.hasAccess(memberId, phoneNumberId)) {
    const pn = directory.phoneNumber(phoneNumberId)
    const label = pn ? `${pn.name} (${pn.number})` : phoneNumberId
    return `${member.name} has no access to ${label}`
  }
  return null
}

/** The rule's directory over a workspace as `readWorkspace` returns it. */
export function workspaceDirectory(workspace: Workspace): AssigneeDirectory {
  const members = new Map(workspace.members.map((m) => [m.id, m]))
  const numbers = new Map(workspace.phoneNumbers.map((p) => [p.id, p]))
  return {
    member: (id) => members.get(id) ?? null,
    phoneNumber: (id) => numbers.get(id) ?? null,
    hasAccess: (memberId, pn) => workspace.access.get(memberId)?.includes(pn) ?? false,
  }
}

/** The members a conversation of `phoneNumberId` may be assigned to, in the workspace's order. */
export function assignableMembers<M extends Workspace['members'][number]>(
  workspace: Omit<Workspace, 'members'> & { members: M[] },
  phoneNumberId: string,
): M[] {
  const directory = workspaceDirectory(workspace)
  return workspace.members.filter((m) => assignRefusal(directory, m.id, phoneNumberId) === null)
}

/**
 * True when a conversation of `phoneNumberId` is assigned to someone who can no longer answer it
 * (access revoked, removed, made a viewer) [G4]: it "needs a new owner". Derived, never written.
 */
export function needsNewOwner(
  directory: AssigneeDirectory,
  phoneNumberId: string,
  assignee: string | null,
): boolean {
  return assignee !== null && assignRefusal(directory, assignee, phoneNumberId) !== null
}
