/**
 * @module Access to a room is gone (4403) [R4]: its replica, its local data and its pending
 * changes leave this device, and so do those of the conversations of a dropped inbox that are
 * open or pending; the user is told what was never stored. Other rooms go on syncing.
 */
import { conversationIds, parseRoom, roomName } from '@switchboard/core'
import type { InboxRegistry } from './inbox-registry.ts'
import type { LedgerStore } from './ledger-store.ts'
import type { PendingLedger } from './ledger.ts'
import { revokedNotice } from './notices.ts'
import { describeChange, unsyncedChanges } from './recovery.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { SyncNotice } from './types.ts'

export interface RevocationContext {
  rooms: RoomRegistry
  inboxes: InboxRegistry
  ledger: PendingLedger
  store: LedgerStore
  /** The room in the user's words. */
  label(name: string): string
  tell(notice: SyncNotice): void
  /** The workspace changed for its listeners (an inbox went away). */
  changed(): void
  fail(error: unknown): void
}

export async function dropRoom(
  c: RevocationContext,
  name: string,
  code: number,
  reason: string,
): Promise<void> {
  const { rooms, ledger } = c
  if (rooms.revoked.has(name)) return
  rooms.revoked.add(name)
  const label = c.label(name)
  const names = [name]
  const r = rooms.get(name)
  let dropped: SyncNotice['dropped'] = []
  if (r) {
    await r.loaded.catch(() => {})
    const acked = ledger.ackedIn(name)
    const has = (client: number, clock: number) => clock < (acked.get(client) ?? Infinity)
    dropped = unsyncedChanges(r.doc, has).map((ch) => describeChange(name, ch, 'revoked'))
    if (name.startsWith('inbox:')) {
      const inConversations = new Set(conversationIds(r.doc).map(roomName.conversation))
      for (const other of new Set([...rooms.names(), ...ledger.rooms()]))
        if (inConversations.has(other)) names.push(other)
    }
  }
  const parsed = parseRoom(name)
  if (parsed?.kind === 'inbox' && parsed.id) c.inboxes.forget(parsed.id)
  for (const n of names) {
    await rooms.remove(n)
    ledger.forgetRoom(n)
  }
  await c.store.clear(names).catch((e) => c.fail(e))
  // A conversation goes with its number, whose inbox tells; alone it tells only a loss.
  if (parsed?.kind !== 'conversation' || dropped.length > 0)
    c.tell(revokedNotice({ room: name, label, code, reason, dropped }))
  c.changed()
}
