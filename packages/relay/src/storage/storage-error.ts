/** @module The one error a store throws for an expected failure, with a code saying which. */

export const StorageErrorCode = {
  /** The stored bytes of a room cannot be read; the room must be refused, never served empty. */
  Unreadable: 'unreadable',
  Closed: 'closed',
  /** Another relay took the room (a newer fence): nothing was written; close the room's sockets. */
  Fenced: 'fenced',
  /**
   * Loading the room would take it from another relay whose lease is alive: nothing was claimed;
   * the room is served, and written, by its owner (docs/scale-out.md "Conditional claims").
   */
  Owned: 'owned',
  Io: 'io',
  /**
   * A conditional write lost to another relay sharing the store (a refresh token rotated, an
   * invite used, a binding made there first): none of its transaction's writes were kept.
   */
  Conflict: 'conflict',
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

/**
 * True for a failure of the store itself (a StorageError, or SQLite's own: busy, I/O), not of what
 * a client sent: the client retries such a refusal rather than being told its frame was bad.
 */
export function isStorageFailure(err: unknown): boolean {
  if (err instanceof StorageError) return true
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_')
}

/** True when a conditional write lost to another relay (see Directory.durably). */
export function isConflict(err: unknown): boolean {
  return err instanceof StorageError && err.code === StorageErrorCode.Conflict
}

/** True when another relay took the room (a newer fence): the room must be served there now. */
export function isFenced(err: unknown): boolean {
  return err instanceof StorageError && err.code === StorageErrorCode.Fenced
}

/** True when a room could not be loaded here because another live relay owns it. */
export function isOwnedElsewhere(err: unknown): boolean {
  return err instanceof StorageError && err.code === StorageErrorCode.Owned
}
