/** @module The verdicts of update admission [M8]: codes, the context a check runs in. */
import type { Room } from './rooms.ts'

export const RejectCode = {
  Malformed: 'malformed',
  ReadOnly: 'read-only',
  Forbidden: 'forbidden',
  Schema: 'schema',
  ClockDrift: 'clock-drift',
  TooLarge: 'too-large',
  UnknownParent: 'unknown-parent',
  UnknownConversation: 'unknown-conversation',
  NotAssignable: 'not-assignable',
} as const
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode]

export interface UpdateContext {
  room: Room
  memberId: string
  /** The relay's clock (ms). */
  now: number
  maxDrift: number
  readOnly?: boolean
  /**
   * The member a device id is bound to (the first member who used it), or null.
   * A device id bound to another member is refused [M8].
   */
  deviceOwner?: (deviceId: string) => string | null
  /** Filled with the device ids this update writes under, so the caller can bind them. */
  devices?: Set<string> | undefined
  /**
   * Why a member cannot be assigned a conversation of this room, or null when they can
   * (`assignRefusal` [G2]); absent, assignees are not checked (the rule needs the workspace).
   */
  assignRefusal?: ((memberId: string) => string | null) | undefined
}

export class Reject extends Error {
  readonly code: RejectCode
  constructor(code: RejectCode, message: string) {
    super(message)
    this.code = code
  }
}
