/**
 * @module The team's contacts (the `contacts` room) as reactive state.
 * @switchboard/client does not expose the contacts room yet; when it grows
 * `Switchboard.contacts()` with this shape the panel becomes editable, until then it is read-only.
 */
import type { Switchboard } from '@switchboard/client'
import type { Contact, ContactPatch } from '@switchboard/core'
import { coalesce } from './replica.svelte.ts'

/** The shape asked of @switchboard/client (see the web app's report). */
export interface ContactsApi {
  get(number: string): Contact
  update(number: string, patch: ContactPatch): Promise<void>
  onChange(listener: () => void): () => void
  whenLoaded: Promise<void>
}

function contactsOf(sb: Switchboard): ContactsApi | null {
  const maybe = (sb as unknown as { contacts?: () => ContactsApi }).contacts
  return typeof maybe === 'function' ? maybe.call(sb) : null
}

export class ContactState {
  readonly api: ContactsApi | null
  version = $state(0)
  #off: () => void = () => {}

  constructor(sb: Switchboard) {
    this.api = contactsOf(sb)
    if (this.api) {
      this.#off = this.api.onChange(coalesce(() => this.version++))
      void this.api.whenLoaded.then(() => this.version++)
    }
  }

  get(number: string): Contact | null {
    void this.version
    return this.api?.get(number) ?? null
  }

  update(number: string, patch: ContactPatch): Promise<void> {
    return this.api ? this.api.update(number, patch) : Promise.resolve()
  }

  destroy(): void {
    this.#off()
  }
}
