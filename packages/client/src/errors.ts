/**
 * @module Expected failures, grouped by how the caller reacts (like Zero's error kinds):
 * retry later, re-authenticate, or stop and tell the user.
 */

export const ErrorCode = {
  /** 4401 / refresh refused: the token is gone; log in again. */
  Unauthorized: 'unauthorized',
  /** 4403: no access to the room, or access revoked. Stop and tell the user. */
  Forbidden: 'forbidden',
  /** 4422: the relay rejected an update. Stop and tell the user. */
  Rejected: 'rejected',
  /**
   * 4423: this replica's device id is bound to another member [L1]. Every room stops; the owner
   * of the device id (web tab, CLI session) mints a new one and opens a new replica with it.
   */
  DeviceTaken: 'device-taken',
  /** 4400 / 4413: the relay could not read a frame (a client bug). */
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

/** How the client reacts to a relay close code (docs/protocol.md). */
export type CloseReaction =
  { action: 'retry'; tell?: ErrorCode } | { action: 'reauth' } | { action: 'stop'; code: ErrorCode }

export function closeReaction(code: number): CloseReaction {
  switch (code) {
    case 4401:
      return { action: 'reauth' }
    case 4403:
      return { action: 'stop', code: ErrorCode.Forbidden }
    case 4422:
      return { action: 'stop', code: ErrorCode.Rejected }
    case 4423:
      return { action: 'stop', code: ErrorCode.DeviceTaken }
    case 4400:
    case 4413:
      return { action: 'stop', code: ErrorCode.Protocol }
    case 4500:
      return { action: 'retry', tell: ErrorCode.Unavailable }
    default:
      return { action: 'retry' }
  }
}
