/**
 * @module The inboxes of a replica: one handle per phone number shared with the member, opened
 * when the workspace's access map lists it and closed when it no longer does (unless this
 * device still has changes pending there). A revoked inbox stays closed until the workspace
 * agrees; a later grant reopens it.
 */
import { readWorkspace, roomName, unreadCount, parseRoom } from '@switchboard/core'
import { InboxHandle } from './inbox.ts'
import type { Internals } from './internals.ts'
import type { PendingLedger } from './ledger.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { PhoneNumber, PhoneNumberWithUnread } from './types.ts'

export interface InboxRegistryOptions {
  internals: Internals
  rooms: RoomRegistry
  ledger: PendingLedger
  /** The workspace changed, as its listeners see it (an inbox opened, closed or changed). */
  changed(): void
}

export class InboxRegistry {
  private readonly handles = new Map<string, InboxHandle>()
  private readonly o: InboxRegistryOptions

  constructor(options: InboxRegistryOptions) {
    this.o = options
  }

  /** The handle of `phoneNumberId`'s inbox, opened on first use. */
  get(phoneNumberId: string): InboxHandle {
    let handle = this.handles.get(phoneNumberId)
    if (!handle) {
      handle = new InboxHandle(this.o.internals, phoneNumberId)
      this.handles.set(phoneNumberId, handle)
      handle.onChange(() => this.o.changed())
    }
    return handle
  }

  /** The handle of an inbox that is open, if it is. */
  find(phoneNumberId: string): InboxHandle | undefined {
    return this.handles.get(phoneNumberId)
  }

  /** Forgets a handle whose room was dropped or closed, and its undo steps. */
  forget(phoneNumberId: string): void {
    this.handles.delete(phoneNumberId)
    this.o.internals.undo.forget(phoneNumberId)
  }

  /** Resolves once every open inbox is loaded from local storage. */
  async whenLoaded(): Promise<void> {
    await Promise.all([...this.handles.values()].map((i) => i.whenLoaded))
  }

  /** The phone numbers whose inbox the relay admits the member to: the workspace's access map. */
  visible(): PhoneNumber[] {
    const member = this.o.internals.member()
    if (!member) return []
    const ws = readWorkspace(this.o.rooms.open(roomName.workspace).doc)
    const mine = ws.access.get(member.id) ?? []
    return ws.phoneNumbers.filter((p) => mine.includes(p.id))
  }

  /** The visible phone numbers not revoked, with their unread counts. */
  phoneNumbers(): PhoneNumberWithUnread[] {
    const { revoked } = this.o.rooms
    const readable = this.visible().filter((p) => !revoked.has(roomName.inbox(p.id)))
    return readable.map((p) => ({
      ...p,
      unread: unreadCount(this.get(p.id).doc),
      loaded: this.get(p.id).loaded,
    }))
  }

  /** Opens the inboxes shared with the member; closes those no longer shared (revoked). */
  sync(): void {
    const { rooms, ledger } = this.o
    const visible = new Set(this.visible().map((p) => p.id))
    for (const name of rooms.revoked)
      if (parseRoom(name)?.kind === 'inbox' && !visible.has(parseRoom(name)!.id!))
        rooms.revoked.delete(name)
    for (const id of visible) if (!rooms.revoked.has(roomName.inbox(id))) this.get(id)
    for (const id of [...this.handles.keys()]) {
      const name = roomName.inbox(id)
      if (visible.has(id) || ledger.clientsIn(name).length > 0) continue
      this.forget(id)
      rooms.close(name)
    }
  }
}
