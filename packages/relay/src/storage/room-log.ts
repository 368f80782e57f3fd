/**
 * @module The room log: each room as a snapshot plus an append-only log of Yjs updates, in a
 * few byte-oriented async methods (like automerge-repo's StorageAdapter); `room-log.contract.ts`
 * is the suite every backend passes.
 *
 * `appendUpdate` resolves only once the update is durable, and a room's appends resolve in call
 * order (a per-room queue), so the relay broadcasts and acknowledges a socket's updates in the
 * order it sent and stored them (durable before visible, DESIGN §4).
 */

/** One stored room: the compacted snapshot (if any) and the log written after it. */
export interface StoredRoom {
  snapshot: Uint8Array | null
  updates: StoredUpdate[]
  /** The room's current epoch, once it was rebuilt at least once (docs/bounded-documents.md). */
  epoch?: RoomEpoch
}

export interface StoredUpdate {
  id: number
  data: Uint8Array
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

/** A snapshot built by the store (see RoomLog.buildSnapshot). */
export interface BuiltSnapshot {
  update: Uint8Array
  /** The same bytes framed as a sync step 2 message, when the store framed them itself. */
  syncStep2?: Uint8Array
}

export interface RoomLog {
  /**
   * Appends one update to a room's log; resolves with its id once it is durable. A room's
   * appends resolve in call order, with increasing ids.
   */
  appendUpdate(room: string, update: Uint8Array): Promise<number>
  /**
   * The relay handed over every append of this event-loop turn (each room's batch): a store that
   * gathers a turn's appends into one commit may send them now instead of at the next turn.
   */
  turnEnded?(): void
  /** The room's snapshot and log; rejects with `StorageError('unreadable')` if they are damaged. */
  loadRoom(room: string): Promise<StoredRoom>
  /** Replaces the snapshot and drops log entries with id <= upToId, atomically. */
  compact(room: string, snapshot: Uint8Array, upToId: number): Promise<void>
  /**
   * The room as stored up to log entry `upToId` (snapshot + log), encoded as one update, built
   * off the event loop. Absent where the store cannot do that (the caller encodes its document).
   */
  buildSnapshot?(room: string, upToId: number): Promise<BuiltSnapshot>
  /**
   * Rooms whose snapshot and log reach this many bytes are built by `buildSnapshot`, unless the
   * relay is given its own threshold (default: compaction-policy.ts's OFF_THREAD_SNAPSHOT_BYTES).
   */
  readonly offThreadSnapshotBytes?: number
  /** Replaces the room with a new epoch atomically (snapshot, log cut, epoch, archive). */
  startEpoch(room: string, epoch: EpochStart): Promise<void>
  /** Adds audit entries to the room's archive; an entry already there (same key) is kept once. */
  archive(room: string, entries: ArchivedEntry[]): Promise<void>
  /** The room's archived audit entries (of one conversation when given), in archive order. */
  readArchive(room: string, conversationId?: string): Promise<ArchivedEntry[]>
  /** Number of log entries and their total bytes since the snapshot. */
  logSize(room: string): Promise<{ count: number; bytes: number }>
  listRooms(): Promise<string[]>
}
