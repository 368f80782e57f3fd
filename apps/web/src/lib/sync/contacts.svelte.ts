/** @module The team's contacts (the `contacts` room) as reactive state. */
import type { Contacts, NotesEditor, Switchboard } from '@switchboard/client'
import type { Contact, ContactPatch } from '@switchboard/core'
import { coalesce } from './replica.svelte.ts'

export class ContactState {
  readonly api: Contacts
  version = $state(0)
  loaded = $state(false)
  #off: () => void

  constructor(sb: Switchboard) {
    this.api = sb.contacts()
    this.#off = this.api.onChange(coalesce(() => this.version++))
    void this.api.whenLoaded.then(() => {
      this.loaded = true
      this.version++
    })
  }

  get(number: string): Contact {
    void this.version
    return this.api.get(number)
  }

  /** Teammates editing `number`'s notes now [C6]. */
  editors(number: string): NotesEditor[] {
    void this.version
    return this.api.editors(number)
  }

  /** Tells teammates this device edits `number`'s notes (null: none) [C6]. */
  editing(number: string | null): void {
    this.api.editing(number)
  }

  update(number: string, patch: ContactPatch): Promise<void> {
    return this.api.update(number, patch)
  }

  destroy(): void {
    this.api.editing(null)
    this.#off()
  }
}
