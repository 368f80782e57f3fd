/**
 * @module Expected failures, grouped by how the caller reacts (like Zero's error kinds):
 * retry later, re-authenticate, or stop and tell the user.
 */
import { Reaction, reactionTo } from '@switchboard/protocol'

export const ErrorCode = {
  /** 4401 / refresh refused: the token is gone; log in again. */
  Unauthorized: 'unauthorized',
  /**
   * 4410 / refresh answered `session-ended`: the session was ended on the relay (signed out
   * elsewhere, revoked by an admin, member removed). The replica stops; sign out, tell the user.
   */
  SessionEnded: 'session-ended',
  /** 4403: no access to the room, or access revoked. Drop the room's local data, tell the user. */
  Forbidden: 'forbidden',
  /** 4422 / 4413: the relay refused an update. Drop the refused change, tell the user, resync. */
  Rejected: 'rejected',
  /**
   * 4423: this replica's device id is bound to another member [L1]. Every room stops; the owner
   * of the device id (web tab, CLI session) mints a new one and opens a new replica with it.
   */
  DeviceTaken: 'device-taken',
  /** 4400: the relay could not read a frame (a client bug). */
  Protocol: 'protocol',
  /** 4500 / network: retried with backoff. */
  Unavailable: 'unavailable',
  /** The local replica directory is held by another process. */
  ReplicaLocked: 'replica-locked',
  /** The local replica could not be read or written. */
  Storage: 'storage',
  /** Unknown conversation, phone number or member. */
  NotFound: 'not-found',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The one error class for expected failures; `code` says how to react. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode
  /** The room it concerns, when it concerns one. */
  readonly room: string | undefined
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; room?: string } = {}) {
    super(message, { cause: options.cause })
    this.name = 'SwitchboardError'
    this.code = code
    this.room = options.room
  }
}

/**
 * How the client reacts to a relay close code (the table is @switchboard/protocol's `closeCodes`):
 * `recover` drops the refused change and resyncs the room, `drop` removes the room's local data
 * (docs/recovery.md).
 */
export type CloseReaction =
  | { action: 'retry'; tell?: ErrorCode }
  | { action: 'reauth' }
  | { action: 'recover'; code: ErrorCode }
  | { action: 'drop'; code: ErrorCode }
  | { action: 'stop'; code: ErrorCode }
  | { action: 'sign-out' }

/** The client's action for each of the protocol's reactions. */
const actions: { readonly [R in Reaction]: CloseReaction } = {
  [Reaction.Retry]: { action: 'retry' },
  [Reaction.RetryAndTell]: { action: 'retry', tell: ErrorCode.Unavailable },
  [Reaction.Reauthenticate]: { action: 'reauth' },
  // The room registry adopts a new epoch before it asks (4409); anyone else reconnects.
  [Reaction.AdoptEpoch]: { action: 'retry' },
  [Reaction.DropChange]: { action: 'recover', code: ErrorCode.Rejected },
  [Reaction.DropRoom]: { action: 'drop', code: ErrorCode.Forbidden },
  [Reaction.SignOut]: { action: 'sign-out' },
  [Reaction.NewDevice]: { action: 'stop', code: ErrorCode.DeviceTaken },
  [Reaction.StopRoom]: { action: 'stop', code: ErrorCode.Protocol },
}

/** What this client does when a socket closes with `code` (unknown codes: retry). */
export function closeReaction(code: number): CloseReaction {
  return { ...actions[reactionTo(code)] }
}
