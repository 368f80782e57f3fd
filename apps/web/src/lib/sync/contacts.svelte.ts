/** @module The team's contacts (the `contacts` room) as reactive state. */
import type { Contacts, Switchboard } from '@switchboard/client'
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

  update(number: string, patch: ContactPatch): Promise<void> {
    return this.api.update(number, patch)
  }

  destroy(): void {
    this.#off()
  }
}
