/**
 * @module The message types of the y-websocket wire format, and Switchboard's ack (100).
 *
 * Every frame starts with its type as a varUint; a sync frame then has its step. Unmodified
 * y-websocket providers never ask for acks (`ack=1`), so they never see type 100.
 */

/** The first varUint of every frame. */
export const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, Ack: 100 } as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** The second varUint of a sync frame. */
export const SyncStep = { One: 0, Two: 1, Update: 2 } as const
export type SyncStep = (typeof SyncStep)[keyof typeof SyncStep]

/** A sync step 2, from its first two bytes (both are one-byte varUints): no decode needed. */
export function isSyncStep2(frame: Uint8Array): boolean {
  return frame[0] === MessageType.Sync && frame[1] === SyncStep.Two
}
