/** @module The team's contacts room (`contacts`), opened on first use: thin wrappers over core. */
import {
  contactNameOf,
  contactNames,
  editContactNotes,
  getContact,
  readContactNotes,
  rebaseEdit,
  listContacts,
  onContactNamesChange,
  onContactsChange,
  roomName,
  updateContact,
  type Contact,
  type ContactPatch,
  type TextEdit,
} from '@switchboard/core'
import { ErrorCode, SwitchboardError } from './errors.ts'
import type { RoomReplica } from './room.ts'
import type { Internals } from './internals.ts'
import type { Contacts, NotesEditor } from './types.ts'

/** This device's presence in the contacts room [C6]. */
interface NotesPresence {
  memberId?: string
  name?: string
  editingNotes?: string | null
}

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

  /** [C6] Tells teammates this device edits `number`'s notes (null: none). */
  editing(number: string | null): void {
    const member = this.sb.member()
    const awareness = this.replica.awareness
    const current = (awareness.getLocalState() as NotesPresence | null)?.editingNotes ?? null
    if (!member || current === number) return
    awareness.setLocalState({ memberId: member.id, name: member.name, editingNotes: number })
  }

  /** [C6] Teammates editing `number`'s notes now, one entry per member (this member left out). */
  editors(number: string): NotesEditor[] {
    const me = this.sb.member()?.id
    const out = new Map<string, NotesEditor>()
    for (const [clientID, state] of this.replica.awareness.getStates()) {
      const p = state as NotesPresence
      if (clientID === this.replica.awareness.clientID || p.editingNotes !== number) continue
      if (!p.memberId || p.memberId === me) continue
      out.set(p.memberId, { memberId: p.memberId, name: p.name ?? p.memberId })
    }
    return [...out.values()]
  }

  async update(number: string, patch: ContactPatch): Promise<void> {
    await this.writable()
    updateContact(this.replica.doc, number, patch, this.sb.origin)
    await this.replica.lastLocalWrite
  }

  /** [C1] One edit of `number`'s notes, made on the text `basis`, applied to the text now. */
  async editNotes(number: string, edit: TextEdit, basis: string): Promise<void> {
    await this.writable()
    const doc = this.replica.doc
    editContactNotes(
      doc,
      number,
      rebaseEdit(edit, basis, readContactNotes(doc, number)),
      this.sb.origin,
    )
    await this.replica.lastLocalWrite
  }

  private async writable(): Promise<void> {
    await this.sb.ready
    await this.replica.loaded
    if (this.sb.member()?.role === 'viewer')
      throw new SwitchboardError(ErrorCode.Forbidden, 'viewers cannot edit contacts')
  }

  /** [C7] The name the team gave `number`'s contact; null when none. */
  name(number: string): string | null {
    return contactNameOf(this.replica.doc, number)
  }

  /** [C7] Every contact the team named: the current doc's map, read it again after a rename. */
  names(): ReadonlyMap<string, string> {
    return contactNames(this.replica.doc)
  }

  /** [C7] Renamed contacts' numbers, after each change; a rebuilt room reports every name. */
  onNamesChange(listener: (numbers: ReadonlySet<string>) => void): () => void {
    let off = onContactNamesChange(this.replica.doc, listener)
    const offSwap = this.replica.onDocSwap((next, old) => {
      off()
      off = onContactNamesChange(next, listener)
      listener(new Set([...contactNames(old).keys(), ...contactNames(next).keys()]))
    })
    return () => {
      off()
      offSwap()
    }
  }

  /** Changed contacts' numbers, after each change; a rebuilt room reports every contact. */
  onContactsChange(listener: (numbers: ReadonlySet<string>) => void): () => void {
    let off = onContactsChange(this.replica.doc, listener)
    const offSwap = this.replica.onDocSwap((next, old) => {
      off()
      off = onContactsChange(next, listener)
      const numbers = (doc: typeof next) => listContacts(doc).map((c) => c.number)
      listener(new Set([...numbers(old), ...numbers(next)]))
    })
    return () => {
      off()
      offSwap()
    }
  }

  /** Changes of any contact, and of who is editing notes [C6]. */
  onChange(listener: () => void): () => void {
    const off = this.replica.onDocUpdate(listener)
    const awareness = this.replica.awareness
    awareness.on('change', listener)
    return () => {
      off()
      awareness.off('change', listener)
    }
  }
}
