/**
 * @module Which rooms a member may join, and whether they may write there: the workspace is
 * read-only, contacts are everyone's, an inbox or conversation needs its phone number shared.
 */
import { assignRefusal, type AssigneeDirectory, type Room as RoomName } from '@switchboard/core'
import type { MemberRecord, RelayStorage } from './storage/relay-storage.ts'

export interface Access {
  /** The phone number an inbox or conversation room belongs to; null for the others. */
  phoneNumberOf(room: RoomName): string | null
  /** null when the member may not join; otherwise whether they may write. */
  access(member: MemberRecord, room: RoomName): { readOnly: boolean } | null
  /** The rooms a member may join. */
  roomsOf(member: MemberRecord): string[]
  /** True when the phone number is shared with the member. */
  hasPhoneNumber(memberId: string, phoneNumberId: string): boolean
  /** Why a member cannot be assigned a conversation of the number, or null when they can [G1]. */
  assignRefusal(phoneNumberId: string, memberId: string): string | null
}

export function createAccess(storage: RelayStorage): Access {
  function phoneNumberOf(room: RoomName): string | null {
    if (room.kind === 'inbox') return room.id
    if (room.kind === 'conversation') return storage.getConversationPhoneNumber(room.id!)
    return null
  }
  const hasPhoneNumber = (memberId: string, phoneNumberId: string) =>
    storage.listAccess(memberId).includes(phoneNumberId)
  // The store, not the workspace doc, is what the relay grants by: the doc is written from it.
  const directory: AssigneeDirectory = {
    member(id) {
      const m = storage.getMember(id)
      return m && { name: m.name, role: m.role, deactivated: m.deactivatedAt !== undefined }
    },
    phoneNumber: (id) => storage.getPhoneNumber(id),
    hasAccess: hasPhoneNumber,
  }
  return {
    phoneNumberOf,
    access(member, room) {
      const viewer = member.role === 'viewer'
      if (room.kind === 'workspace') return { readOnly: true }
      if (room.kind === 'contacts') return { readOnly: viewer }
      const pn = phoneNumberOf(room)
      if (!pn || !storage.listAccess(member.id).includes(pn)) return null
      return { readOnly: viewer }
    },
    roomsOf: (member) => [
      'workspace',
      'contacts',
      ...storage.listAccess(member.id).map((pn) => `inbox:${pn}`),
    ],
    hasPhoneNumber,
    assignRefusal: (phoneNumberId, memberId) => assignRefusal(directory, memberId, phoneNumberId),
  }
}
