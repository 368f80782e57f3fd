/**
 * @module The inbound queue a store shared by several relays offers (PostgreSQL; docs/scale-out.md
 * "Webhooks across relays"): any relay puts a verified webhook's activity in, once per room it
 * touches; the room's owner takes the pending rows out in order. A single-relay store (SQLite,
 * memory) has none: its relay applies webhooks directly.
 */

/** One room's share of an activity waiting to be applied. */
export interface InboundRow {
  /** Identity, in arrival order. */
  id: string
  eventId: string
  /** The activity, as JSON. */
  payload: string
}

/** An activity to put in, with the rooms it touches. */
export interface InboundItem {
  provider: string
  eventId: string
  /** The activity, as JSON. */
  payload: string
  rooms: readonly string[]
}

/** Who a room's pending rows are for, as the sweep finds them. */
export interface WaitingRoom {
  room: string
  /** True when this relay owns the room; false when it has no live owner (whoever claims it). */
  mine: boolean
}

export interface InboundStore {
  /**
   * Puts activities in, each once for each of its rooms, in one commit and in the order given;
   * answers the event ids that were new. One already there (a retried delivery, on any relay) is
   * not: exactly once [W6].
   */
  enqueue(items: readonly InboundItem[]): Promise<Set<string>>
  /** The room's rows not applied yet, oldest first. */
  pending(room: string, limit: number): Promise<InboundRow[]>
  /** Marks rows applied (after the room's append that holds them is durable). */
  markDone(ids: string[]): Promise<void>
  /** The live relay other than this one that owns `room`, or null (none, dead, or this one). */
  liveOwner(room: string): Promise<string | null>
  /** Rooms with pending rows that this relay owns or that have no live owner. */
  waiting(): Promise<WaitingRoom[]>
  /** Tells `owner` that `room` has rows waiting; one notice per interval, whatever the count. */
  notify(owner: string, room: string): void
  /** Hears notices for this relay; `reconnected` when notices may have been lost. */
  listen(heard: (rooms: string[]) => void, reconnected: () => void): Promise<() => Promise<void>>
  /**
   * Deletes rows applied more than `keepMs` ago; returns how many. Their ids stay in the
   * directory's activities, which still answers a late retry as a duplicate.
   */
  prune(keepMs: number): Promise<number>
  /** Sends what is noted and stops. */
  close(): Promise<void>
}
