/** @module The team's contacts room (`contacts`), opened on first use: thin wrappers over core. */
import {
  getContact,
  listContacts,
  roomName,
  updateContact,
  type Contact,
  type ContactPatch,
} from '@switchboard/core'
import { ErrorCode, SwitchboardError } from './errors.ts'
import type { RoomReplica } from './room.ts'
import type { Internals } from './internals.ts'
import type { Contacts } from './types.ts'

export class ContactsHandle implements Contacts {
  readonly whenLoaded: Promise<void>
  private readonly sb: Internals
  private readonly replica: RoomReplica

  constructor(sb: Internals) {
    this.sb = sb
    this.replica = sb.room(roomName.contacts)
    this.whenLoaded = this.replica.loaded
  }

  list(): Contact[] {
    return listContacts(this.replica.doc)
  }

  get(number: string): Contact {
    return getContact(this.replica.doc, number)
  }

  async update(number: string, patch: ContactPatch): Promise<void> {
    await this.sb.ready
    await this.replica.loaded
    if (this.sb.member()?.role === 'viewer')
      throw new SwitchboardError(ErrorCode.Forbidden, 'viewers cannot edit contacts')
    updateContact(this.replica.doc, number, patch, this.sb.origin)
    await this.replica.lastLocalWrite
  }

  onChange(listener: () => void): () => void {
    return this.replica.onDocUpdate(listener)
  }
}
