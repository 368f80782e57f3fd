/**
 * @module Expected failures, grouped by how the caller reacts (like Zero's error kinds):
 * retry later, re-authenticate, or stop and tell the user.
 */

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
 * How the client reacts to a relay close code (docs/protocol.md): `recover` drops the refused
 * change and resyncs the room, `drop` removes the room's local data (docs/recovery.md).
 */
export type CloseReaction =
  | { action: 'retry'; tell?: ErrorCode }
  | { action: 'reauth' }
  | { action: 'recover'; code: ErrorCode }
  | { action: 'drop'; code: ErrorCode }
  | { action: 'stop'; code: ErrorCode }
  | { action: 'sign-out' }

export function closeReaction(code: number): CloseReaction {
  switch (code) {
    case 4401:
      return { action: 'reauth' }
    case 4410:
      return { action: 'sign-out' }
    case 4403:
      return { action: 'drop', code: ErrorCode.Forbidden }
    case 4422:
    case 4413:
      return { action: 'recover', code: ErrorCode.Rejected }
    case 4423:
      return { action: 'stop', code: ErrorCode.DeviceTaken }
    case 4400:
      return { action: 'stop', code: ErrorCode.Protocol }
    case 4500:
      return { action: 'retry', tell: ErrorCode.Unavailable }
    default:
      return { action: 'retry' }
  }
}
