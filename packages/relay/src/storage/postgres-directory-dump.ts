/** @module Every directory and outbox record of the PostgreSQL directory's cache (directory-dump.ts). */
import type { DirectoryDump } from './directory-dump.ts'
import type { DirectoryRows } from './postgres-directory-state.ts'

export function dumpDirectoryRows(rows: DirectoryRows): DirectoryDump {
  const pairs = <V>(map: Map<string, V>) => [...map.entries()]
  return {
    members: [...rows.members.values()].map((m) => ({ ...m })),
    sessions: [...rows.sessions.values()].map((s) => ({ ...s })),
    phoneNumbers: [...rows.phone_numbers.values()]
      .sort((a, b) => a.position - b.position)
      .map(({ position: _position, ...pn }) => pn),
    credentials: pairs(rows.phone_number_credentials).map(([phoneNumberId, sealed]) => ({
      phoneNumberId,
      sealed,
    })),
    access: [...rows.access.values()].map((a) => ({ ...a })),
    conversations: pairs(rows.conversations).map(([conversationId, phoneNumberId]) => ({
      conversationId,
      phoneNumberId,
    })),
    activityIds: [...rows.activities.keys()],
    providerCalls: [...rows.provider_calls.values()].map((c) => ({ ...c })),
    clientOwners: pairs(rows.client_owners).map(([key, memberId]) => {
      const cut = key.lastIndexOf('\0')
      return { room: key.slice(0, cut), client: Number(key.slice(cut + 1)), memberId }
    }),
    deviceOwners: pairs(rows.device_owners).map(([deviceId, memberId]) => ({ deviceId, memberId })),
    meta: pairs(rows.meta).map(([key, value]) => ({ key, value })),
    invites: [...rows.invites.values()].map((i) => ({
      ...i,
      phoneNumberIds: [...i.phoneNumberIds],
    })),
    lastSeen: pairs(rows.last_seen).map(([memberId, at]) => ({ memberId, at })),
    rules: [...rows.triage_rules.values()].map((r) => ({ ...r })),
    outbox: [...rows.outbox.values()]
      .sort((a, b) => a.order - b.order)
      .map((h) => ({ row: { ...h.row }, queuedAt: h.queuedAt })),
  }
}
