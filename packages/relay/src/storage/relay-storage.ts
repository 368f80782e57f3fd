/**
 * @module The relay's durable store, as an interface: one contract suite
 * (`relay-storage.contract.ts`) runs against every implementation.
 *
 * Rooms are stored as a snapshot plus an append-only log of Yjs updates. `appendUpdate`
 * resolves only once the update is durable, and appends resolve in call order, so the relay
 * can broadcast and acknowledge in the order it stored (durable before visible, DESIGN §4).
 */

/** One stored room: the compacted snapshot (if any) and the log written after it. */
export interface StoredRoom {
  snapshot: Uint8Array | null
  updates: StoredUpdate[]
  /** The room's current epoch, once it was rebuilt at least once (docs/bounded-documents.md). */
  epoch?: RoomEpoch
}

/** Which epoch a room's snapshot starts, and the Yjs client ids of every older epoch. */
export interface RoomEpoch {
  id: string
  /** Updates or state vectors carrying one of these ids come from an older epoch [E4]. */
  retired: number[]
}

/** One audit entry moved out of a room; `key` (device + HLC) makes archiving idempotent. */
export interface ArchivedEntry {
  conversationId: string
  key: string
  /** The entry as JSON. */
  data: string
}

/** A new epoch, stored in one atomic step: snapshot, log cut, epoch record, archive. */
export interface EpochStart extends RoomEpoch {
  snapshot: Uint8Array
  /** Log entries with id <= this are dropped (they are part of the old epoch). */
  upToId: number
  archive: ArchivedEntry[]
}

/** A snapshot built by the store (see RelayStorage.buildSnapshot). */
export interface BuiltSnapshot {
  update: Uint8Array
  /** The same bytes framed as a sync step 2 message, when the store framed them itself. */
  syncStep2?: Uint8Array
}

export interface StoredUpdate {
  id: number
  data: Uint8Array
}

export const MemberRole = {
  Owner: 'owner',
  Admin: 'admin',
  Member: 'member',
  Viewer: 'viewer',
} as const
export type MemberRole = (typeof MemberRole)[keyof typeof MemberRole]
export const memberRoles: readonly MemberRole[] = Object.values(MemberRole)

/** A member as the relay keeps it: the workspace document carries everything but the hash. */
export interface MemberRecord {
  id: string
  email: string
  name: string
  role: MemberRole
  passwordHash: string
  createdAt: number
  /** Set when the member was removed: they cannot log in; the record stays for history [S6]. */
  deactivatedAt?: number
}

/**
 * A login on one device [S1]: access tokens name it, its refresh token is single-use (only
 * generation `refreshGen` is current), and it ends at `expiresAt` whatever its refreshes.
 */
export interface SessionRecord {
  id: string
  memberId: string
  createdAt: number
  /** Absolute end of the session (ms). */
  expiresAt: number
  /** Generation of the current refresh token; each refresh moves it on by one. */
  refreshGen: number
  /** When the current refresh token was issued (ms). */
  refreshedAt: number
  /** Set once the session ended (sign-out, revocation, reuse of a refresh token, removal). */
  endedAt?: number
  endReason?: string
  userAgent?: string
  ip?: string
}

export interface PhoneNumberRecord {
  id: string
  name: string
  number: string
}

export const StorageErrorCode = {
  /** The stored bytes of a room cannot be read; the room must be refused, never served empty. */
  Unreadable: 'unreadable',
  Closed: 'closed',
  Io: 'io',
} as const
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode]

export class StorageError extends Error {
  readonly code: StorageErrorCode
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
    this.code = code
  }
}

export interface RelayStorage {
  /** Appends one update to a room's log; resolves with its id once it is durable. FIFO. */
  appendUpdate(room: string, update: Uint8Array): Promise<number>
  /** The room's snapshot and log; rejects with `StorageError('unreadable')` if they are damaged. */
  loadRoom(room: string): Promise<StoredRoom>
  /** Replaces the snapshot and drops log entries with id <= upToId, atomically. */
  compact(room: string, snapshot: Uint8Array, upToId: number): Promise<void>
  /**
   * The room as stored up to log entry `upToId` (snapshot + log), encoded as one update, built
   * off the event loop. Absent where the store cannot do that (the caller encodes its document).
   */
  buildSnapshot?(room: string, upToId: number): Promise<BuiltSnapshot>
  /** Replaces the room with a new epoch atomically (snapshot, log cut, epoch, archive). */
  startEpoch(room: string, epoch: EpochStart): Promise<void>
  /** Adds audit entries to the room's archive; an entry already there (same key) is kept once. */
  archive(room: string, entries: ArchivedEntry[]): Promise<void>
  /** The room's archived audit entries (of one conversation when given), in archive order. */
  readArchive(room: string, conversationId?: string): Promise<ArchivedEntry[]>
  /** Number of log entries and their total bytes since the snapshot. */
  logSize(room: string): Promise<{ count: number; bytes: number }>
  listRooms(): Promise<string[]>

  getMember(id: string): MemberRecord | null
  getMemberByEmail(email: string): MemberRecord | null
  listMembers(): MemberRecord[]
  putMember(member: MemberRecord): void
  /** Stores a new session (or replaces one with the same id). */
  putSession(session: SessionRecord): void
  getSession(id: string): SessionRecord | null
  /** A member's sessions, ended ones included, newest first. */
  listSessions(memberId: string): SessionRecord[]
  /**
   * Moves a live session's refresh generation from `fromGen` to `fromGen + 1`; false (nothing
   * changed) when it is not at `fromGen` any more or has ended, so one token rotates once.
   */
  rotateSession(id: string, fromGen: number, at: number): boolean
  /** Ends a live session; false when it had already ended or does not exist. */
  endSession(id: string, at: number, reason: string): boolean
  /** Ends every live session of a member; returns the ids it ended. */
  endSessions(memberId: string, at: number, reason: string): string[]
  /** Forgets sessions that ended, or reached their end, before `before`; returns how many. */
  pruneSessions(before: number): number
  getPhoneNumber(id: string): PhoneNumberRecord | null
  listPhoneNumbers(): PhoneNumberRecord[]
  putPhoneNumber(phoneNumber: PhoneNumberRecord): void
  grantAccess(memberId: string, phoneNumberId: string): void
  revokeAccess(memberId: string, phoneNumberId: string): void
  /** Phone number ids the member may use. */
  listAccess(memberId: string): string[]
  /** The phone number a conversation belongs to (set once, on first ingestion). */
  getConversationPhoneNumber(conversationId: string): string | null
  setConversationPhoneNumber(conversationId: string, phoneNumberId: string): void
  /** Webhook idempotency: true the first time an activity id is recorded. */
  recordActivity(activityId: string): boolean
  hasActivity(activityId: string): boolean
  /** Runs the table writes in `fn` atomically (one commit). */
  transaction<T>(fn: () => T): T
  /** The member who first wrote structs under a Yjs client id in a room [M8], or null. */
  getClientOwner(room: string, client: number): string | null
  /** Binds a client id to a member in a room; the first binding stays (false if taken). */
  bindClient(room: string, client: number, memberId: string): boolean
  /** The member who first used a device id in a mark key [M8], or null. */
  getDeviceOwner(deviceId: string): string | null
  /** Binds a device id to a member; the first binding stays (false if taken). */
  bindDevice(deviceId: string, memberId: string): boolean
  getMeta(key: string): string | null
  setMeta(key: string, value: string): void

  /** Throws if the store cannot be read (used by /healthz). */
  check(): void
  /** Flushes pending appends and releases the store. */
  close(): Promise<void>
}
