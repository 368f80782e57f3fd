/** @module A small workspace for tests: phone numbers, members with a password, their access. */
import type { Relay } from '../relay.ts'
import type { MemberRole } from '../storage/relay-storage.ts'

export interface TestWorkspace {
  /** Every member's password. */
  password: string
  phoneNumbers: { id: string; name: string; number: string }[]
  /** Each member's email is `<id>@example.com`; `name` defaults to the id. */
  members: { id: string; name?: string; role: MemberRole; phoneNumbers: string[] }[]
}

/** Creates the phone numbers, then each member with their access; a store with members is left alone. */
export async function seedWorkspace(relay: Relay, workspace: TestWorkspace): Promise<void> {
  const { admin, storage } = relay
  if (storage.listMembers().length > 0) return
  for (const pn of workspace.phoneNumbers) await admin.createPhoneNumber(pn)
  for (const m of workspace.members) {
    await admin.createMember({
      id: m.id,
      email: `${m.id}@example.com`,
      name: m.name ?? m.id,
      role: m.role,
      password: workspace.password,
    })
    for (const pn of m.phoneNumbers) await admin.grant(m.id, pn)
  }
}
