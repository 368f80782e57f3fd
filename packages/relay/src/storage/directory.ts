/**
 * @module The directory: who may do what — members, phone numbers and access, sessions, the
 * owners of client and device ids, the conversation index, webhook idempotency and a few
 * settings. `directory.contract.ts` is the suite every backend passes.
 *
 * Its methods are synchronous, unlike the room log's. The relay consults it inside a decision
 * (the admission of an update binds client and device ids, an upgrade checks the session, the
 * member and their access) that must not yield to another socket's frame half-way, and it is
 * small and read far more than written. An embedded store answers from its own file in
 * microseconds; a networked backend (PostgreSQL, issue 25) keeps the directory in memory —
 * loaded at start, written through, refreshed when another relay announces a change — and
 * answers from that cache, so the interface can stay synchronous for it too.
 */
import type { ProviderName } from '../providers/provider-account.ts'
import type { InviteStore } from './invite-store.ts'
import type { RuleStore } from './rule-store.ts'

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
  /** Set when the number is connected through a provider; its credentials are kept sealed apart. */
  provider?: ProviderName
}

/**
 * A call a provider tells more of after it ended (a Quo summary or transcript names the call, not
 * the contact): where its activity was filed.
 */
export interface ProviderCallRecord {
  /** The provider and its call id: `quo:AC…`. */
  callKey: string
  phoneNumberId: string
  conversationId: string
  activityId: string
}

export interface Directory extends InviteStore, RuleStore {
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
  /**
   * A connected number's provider credentials, sealed (providers/credential-vault.ts) [K1]: the
   * store only ever holds the sealed text, and no listing returns it.
   */
  getSealedCredentials(phoneNumberId: string): string | null
  putSealedCredentials(phoneNumberId: string, sealed: string): void
  /**
   * Takes a number out of the directory: its row, its sealed credentials and every member's
   * access to it [N5]; returns the ids of the members who had access. Its rooms and conversation
   * index stay (archived, [N6]).
   */
  removePhoneNumber(phoneNumberId: string): string[]
  /**
   * Moves on with every change to a phone number or its credentials made through this directory,
   * so a cache of them (the providers' accounts) rereads only after one.
   */
  phoneNumbersRevision(): number
  grantAccess(memberId: string, phoneNumberId: string): void
  revokeAccess(memberId: string, phoneNumberId: string): void
  /** Phone number ids the member may use. */
  listAccess(memberId: string): string[]
  /** The phone number a conversation belongs to (set once, on first ingestion). */
  getConversationPhoneNumber(conversationId: string): string | null
  setConversationPhoneNumber(conversationId: string, phoneNumberId: string): void
  /** Where a provider's call was filed, or null when the relay never took it in. */
  getProviderCall(callKey: string): ProviderCallRecord | null
  /** Records where a call was filed; the first record of a call key stays. */
  putProviderCall(call: ProviderCallRecord): void
  /** Webhook idempotency: true the first time an activity id is recorded. */
  recordActivity(activityId: string): boolean
  hasActivity(activityId: string): boolean
  /** Runs the table writes in `fn` atomically (one commit). */
  transaction<T>(fn: () => T): T
  /**
   * Resolves once every write made before the call is durable. On SQLite the conversation index,
   * activity ids, client bindings and provider calls may be committed with the room log's next
   * commit (seen by reads at once) and every other write is durable when its method returns; on a
   * networked store (PostgreSQL) every write is durable here. Rejects if one of them failed.
   */
  whenDurable(): Promise<void>
  /**
   * Runs `fn` as a `transaction` (its decisions made at once, from what this relay knows) and
   * resolves with its result once its writes are durable. Rejects with StorageError `conflict`
   * when one of its conditional writes — a refresh token rotated, a session ended, an invite used
   * or revoked, a first binding, an activity recorded, an outgoing reply started — lost to another
   * relay sharing the store: none of `fn`'s writes are kept, and reads already show what the
   * store decided. An embedded store decides alone and never rejects so.
   */
  durably<T>(fn: () => T): Promise<T>
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
}
