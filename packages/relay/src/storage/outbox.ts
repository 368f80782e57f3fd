/**
 * @module The outbox (issue 22): replies to send through a phone provider, written durably before
 * the provider is called [O1], so a relay killed mid-send loses none and never sends one blindly
 * twice [O4]. `outbox.contract.ts` is the suite every backend passes.
 *
 * One row per outgoing activity holds its current attempt: a resend replaces the row with the
 * next attempt [D3]. A row is `queued` (due at `dueAt`), `in-flight` (a request was, or may have
 * been, written to the provider) or `done` (its outcome recorded). Synchronous, like the
 * directory: the sender's decisions must not interleave with a request's.
 */
import type { ProviderName } from '../providers/provider-account.ts'

export const OutboxRowState = { Queued: 'queued', InFlight: 'in-flight', Done: 'done' } as const
export type OutboxRowState = (typeof OutboxRowState)[keyof typeof OutboxRowState]

/** What became of an attempt, as far as the outbox is concerned. */
export type OutboxOutcome = 'sent' | 'delivered' | 'failed' | 'unknown'

/** A reply to send, as enqueued. */
export interface NewOutboxRow {
  activityId: string
  /** 1 for the first send; a resend is the next attempt [D3]. */
  attempt: number
  phoneNumberId: string
  conversationId: string
  /** The member who wrote it (the activity's `from`). */
  memberId: string
  provider: ProviderName
  /** The connected number it leaves from (E.164). */
  from: string
  to: string
  body: string
  /** When the member wrote the reply (ms): the activity's time, kept across attempts. */
  createdAt: number
}

export interface OutboxRow extends NewOutboxRow {
  state: OutboxRowState
  /** A queued row is sent from this time on (ms). */
  dueAt: number
  /** Requests written for this attempt that the provider did not take (5xx, refused connections). */
  tries: number
  /** When the last request was started (ms): a look-up searches the provider from there. */
  startedAt?: number
  outcome?: OutboxOutcome
  /** The provider's reason (failed) or why it could not be confirmed (unknown). */
  reason?: string
  /** The provider's id for the message once it took it; status callbacks name it. */
  providerMessageId?: string
}

export interface Outbox {
  /**
   * Writes a row queued and due at `dueAt` (default its `createdAt`), replacing any row of the
   * same activity (a resend, a later attempt); durable when it returns.
   */
  enqueueOutgoing(row: NewOutboxRow, dueAt?: number): void
  getOutgoing(activityId: string): OutboxRow | null
  /** Queued rows due at `now`, oldest due first (then in the order enqueued), at most `limit`. */
  dueOutgoing(now: number, limit: number): OutboxRow[]
  /** Rows in flight: at a start, those a killed relay left half-sent. */
  inFlightOutgoing(): OutboxRow[]
  /** Queued → in flight for `attempt`; false when the row is not queued at that attempt. */
  startOutgoing(activityId: string, attempt: number, at: number): boolean
  /** In flight → queued again at `dueAt` (the provider did not take it), one more try counted. */
  retryOutgoing(activityId: string, attempt: number, dueAt: number, reason: string): void
  /**
   * Records the outcome of `attempt` (nothing if the row moved to another attempt); the row is
   * done. `providerMessageId` stays once known.
   */
  settleOutgoing(
    activityId: string,
    attempt: number,
    outcome: OutboxOutcome,
    details?: { reason?: string; providerMessageId?: string },
  ): void
  /** The row whose current attempt the provider knows as `providerMessageId`. */
  outgoingByProviderId(provider: ProviderName, providerMessageId: string): OutboxRow | null
  /**
   * When the oldest attempt the provider has not taken yet (queued or in flight) was queued (ms),
   * or null when there is none: how long replies wait, for the metrics.
   */
  oldestUnsent(): number | null
  /**
   * Writes a row exactly as given, replacing any row of its activity: a store being copied
   * (directory-dump.ts). `queuedAt` is when its attempt was queued (see `oldestUnsent`).
   */
  restoreOutgoing(row: OutboxRow, queuedAt: number): void
}
