/**
 * @module Everything a directory and outbox hold, as plain records: what `switchboard-relay
 * migrate` copies from one backend to another (docs/scale-out.md "Moving a store"). A backend
 * dumps its own tables; the copy is written back through the Directory and Outbox interfaces, so
 * any backend can receive it.
 */
import type { TriageRule } from '@switchboard/core'
import type {
  Directory,
  MemberRecord,
  PhoneNumberRecord,
  ProviderCallRecord,
  SessionRecord,
} from './directory.ts'
import type { InviteRecord } from './invite-store.ts'
import type { Outbox, OutboxRow } from './outbox.ts'

export interface DirectoryDump {
  members: MemberRecord[]
  sessions: SessionRecord[]
  phoneNumbers: PhoneNumberRecord[]
  credentials: { phoneNumberId: string; sealed: string }[]
  access: { memberId: string; phoneNumberId: string }[]
  conversations: { conversationId: string; phoneNumberId: string }[]
  activityIds: string[]
  providerCalls: ProviderCallRecord[]
  clientOwners: { room: string; client: number; memberId: string }[]
  deviceOwners: { deviceId: string; memberId: string }[]
  meta: { key: string; value: string }[]
  invites: InviteRecord[]
  lastSeen: { memberId: string; at: number }[]
  rules: TriageRule[]
  /** Each row with when its attempt was queued. */
  outbox: { row: OutboxRow; queuedAt: number }[]
}

/** How many records of each kind a dump holds, for the command's report and its check. */
export function dumpCounts(dump: DirectoryDump): Record<keyof DirectoryDump, number> {
  const counts = {} as Record<keyof DirectoryDump, number>
  for (const key of Object.keys(dump) as (keyof DirectoryDump)[]) counts[key] = dump[key].length
  return counts
}

/** Writes a dump into an empty directory and outbox, then waits until it is durable. */
export async function restoreDirectory(
  target: Directory & Outbox,
  dump: DirectoryDump,
): Promise<void> {
  target.transaction(() => {
    for (const m of dump.members) target.putMember(m)
    for (const p of dump.phoneNumbers) target.putPhoneNumber(p)
    for (const c of dump.credentials) target.putSealedCredentials(c.phoneNumberId, c.sealed)
    for (const a of dump.access) target.grantAccess(a.memberId, a.phoneNumberId)
    for (const s of dump.sessions) target.putSession(s)
    for (const c of dump.conversations)
      target.setConversationPhoneNumber(c.conversationId, c.phoneNumberId)
    for (const id of dump.activityIds) target.recordActivity(id)
    for (const call of dump.providerCalls) target.putProviderCall(call)
    for (const c of dump.clientOwners) target.bindClient(c.room, c.client, c.memberId)
    for (const d of dump.deviceOwners) target.bindDevice(d.deviceId, d.memberId)
    for (const m of dump.meta) target.setMeta(m.key, m.value)
    for (const i of dump.invites) target.putInvite(i)
    for (const s of dump.lastSeen) target.setLastSeen(s.memberId, s.at)
    for (const r of dump.rules) target.putRule(r)
    for (const o of dump.outbox) target.restoreOutgoing(o.row, o.queuedAt)
  })
  await target.whenDurable()
}
