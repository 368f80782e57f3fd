/**
 * @module The relay's durable store: a room log (async, byte-oriented), a directory (synchronous
 * look-ups) and the outbox of replies in one, so one embedded file holds them all. Each part has
 * its contract suite (`room-log.contract.ts`, `directory.contract.ts`, `outbox.contract.ts`), run
 * against every backend.
 */
import type { Directory } from './directory.ts'
import type { InboundStore } from './inbound-store.ts'
import type { Outbox } from './outbox.ts'
import type { RoomLog, StoredRoom } from './room-log.ts'

export type {
  ArchivedEntry,
  BuiltSnapshot,
  EpochStart,
  RoomEpoch,
  RoomLog,
  StoredRoom,
  StoredUpdate,
} from './room-log.ts'
export type {
  Directory,
  MemberRecord,
  PhoneNumberRecord,
  ProviderCallRecord,
  SessionRecord,
} from './directory.ts'
export { MemberRole, memberRoles } from './directory.ts'
export type { InboundRow, InboundStore, WaitingRoom } from './inbound-store.ts'
export type { InviteRecord, InviteStore } from './invite-store.ts'
export type { RuleStore } from './rule-store.ts'
export type { NewOutboxRow, Outbox, OutboxOutcome, OutboxRow } from './outbox.ts'
export { StorageError, StorageErrorCode } from './storage-error.ts'

export interface RelayStorage extends RoomLog, Directory, Outbox {
  /** Throws if the store cannot be read (used by /healthz). */
  check(): void
  /** Flushes pending appends and releases the store. */
  close(): Promise<void>
  /**
   * Several relays share the store (PostgreSQL): webhooks queue here for their rooms' owners
   * (scale/inbound-queue.ts). A single-relay store has none and applies them directly.
   */
  readonly inbound?: InboundStore
  /**
   * Takes a room from whichever relay owns it, live or not, for a write that cannot be sent to
   * its owner yet (docs/scale-out.md "Conditional claims"); loading a room never does.
   */
  takeRoom?(room: string): Promise<void>
  /** A room as stored, read without claiming it (another live relay owns it). */
  peekRoom?(room: string): Promise<StoredRoom>
}
