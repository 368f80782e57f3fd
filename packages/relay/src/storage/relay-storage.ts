/**
 * @module The relay's durable store: a room log (async, byte-oriented) and a directory
 * (synchronous look-ups) in one, so one embedded file holds both. Each half has its contract
 * suite (`room-log.contract.ts`, `directory.contract.ts`), run against every backend.
 */
import type { Directory } from './directory.ts'
import type { RoomLog } from './room-log.ts'

export type {
  ArchivedEntry,
  BuiltSnapshot,
  EpochStart,
  RoomEpoch,
  RoomLog,
  StoredRoom,
  StoredUpdate,
} from './room-log.ts'
export type { Directory, MemberRecord, PhoneNumberRecord, SessionRecord } from './directory.ts'
export { MemberRole, memberRoles } from './directory.ts'
export { StorageError, StorageErrorCode } from './storage-error.ts'

export interface RelayStorage extends RoomLog, Directory {
  /** Throws if the store cannot be read (used by /healthz). */
  check(): void
  /** Flushes pending appends and releases the store. */
  close(): Promise<void>
}
