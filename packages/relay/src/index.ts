/** @module @switchboard/relay — the Hono WebSocket relay: auth, rooms, durable store, webhooks. */
export { createRelay, AdminError } from './relay.ts'
export type { Relay, RelayOptions, Admin, Actor, NewMember, SessionView } from './relay.ts'
export type { LoginLimits } from './login-throttle.ts'
export { INVITE_TTL_MS, inviteView } from './invites.ts'
export type { Invites, InviteView } from './invites.ts'
/** Re-exported for importers that predate @switchboard/protocol. */
export { CloseCode, MessageType, encodeAck, decodeAck } from '@switchboard/protocol'
export { RELAY_ORIGIN } from './room.ts'
export { createSqliteStorage } from './storage/sqlite.ts'
export { createPostgresStorage } from './storage/postgres.ts'
export type { PostgresStorage, PostgresStorageOptions } from './storage/postgres.ts'
export type { SqliteStorage, SqliteStorageOptions } from './storage/sqlite.ts'
export { createMemoryStorage } from './storage/memory.ts'
export type { MemoryStorage } from './storage/memory.ts'
export { StorageError, MemberRole } from './storage/relay-storage.ts'
export type {
  RelayStorage,
  RoomLog,
  Directory,
  StoredRoom,
  StoredUpdate,
  MemberRecord,
  PhoneNumberRecord,
  SessionRecord,
  InviteRecord,
} from './storage/relay-storage.ts'
export { hashPassword, verifyPassword } from './auth.ts'
