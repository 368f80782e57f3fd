/** @module What the inbox, conversation and contacts handles use of the replica that made them. */
import type { Author } from '@switchboard/core'
import type { Assignees } from './assignees.ts'
import type { RoomReplica } from './room.ts'
import type { Member } from './types.ts'
import type { UndoStack } from './undo.ts'

export interface Internals {
  deviceId: string
  /** The origin of every local write of this device. */
  origin: object
  /** The replica's one undo stack. */
  undo: UndoStack
  /** Resolves once the replica's own state is loaded from storage. */
  ready: Promise<void>
  /** Who writes: this member on this device, with its HLC; throws when the member may not write. */
  author(): Author
  member(): Member | null
  members(): Member[]
  /** Who may be assigned which number's conversations, by the workspace document [G1]. */
  assignees: Assignees
  /** Runs `write` as an implicit change: awaited by whenSynced, not counted in `pending`. */
  implicitly<T>(write: () => T): T
  room(name: string): RoomReplica
  release(name: string): void
  /** GET a relay API path with this session's token; errors are SwitchboardErrors. */
  get<T>(path: string): Promise<T>
  /** POST JSON to a relay API path with this session's token; errors are SwitchboardErrors. */
  post<T>(path: string, body: unknown): Promise<T>
}
