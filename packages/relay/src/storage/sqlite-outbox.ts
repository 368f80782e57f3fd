/** @module The Outbox on the SQLite store's main connection (storage/outbox.ts). */
import type Database from 'better-sqlite3'
import type { ProviderName } from '../providers/provider-account.ts'
import type { Outbox, OutboxOutcome, OutboxRow, OutboxRowState } from './outbox.ts'

export interface OutboxTableRow {
  activity_id: string
  attempt: number
  phone_number_id: string
  conversation_id: string
  member_id: string
  provider: ProviderName
  from_number: string
  to_number: string
  body: string
  created_at: number
  state: OutboxRowState
  due_at: number
  tries: number
  started_at: number | null
  outcome: OutboxOutcome | null
  reason: string | null
  provider_message_id: string | null
}

export const toOutboxRow = (r: OutboxTableRow | undefined): OutboxRow | null => {
  if (!r) return null
  const row: OutboxRow = {
    activityId: r.activity_id,
    attempt: r.attempt,
    phoneNumberId: r.phone_number_id,
    conversationId: r.conversation_id,
    memberId: r.member_id,
    provider: r.provider,
    from: r.from_number,
    to: r.to_number,
    body: r.body,
    createdAt: r.created_at,
    state: r.state,
    dueAt: r.due_at,
    tries: r.tries,
  }
  if (r.started_at !== null) row.startedAt = r.started_at
  if (r.outcome !== null) row.outcome = r.outcome
  if (r.reason !== null) row.reason = r.reason
  if (r.provider_message_id !== null) row.providerMessageId = r.provider_message_id
  return row
}

export function createSqliteOutbox(db: Database.Database, ensureOpen: () => void): Outbox {
  const q = {
    // A replaced row takes a new rowid, so a resend queues behind what was already waiting.
    enqueue: db.prepare(
      `INSERT OR REPLACE INTO outbox (activity_id, attempt, phone_number_id, conversation_id, member_id,
       provider, from_number, to_number, body, created_at, state, due_at, tries, queued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?)`,
    ),
    get: db.prepare<[string], OutboxTableRow>('SELECT * FROM outbox WHERE activity_id = ?'),
    due: db.prepare<[number, number], OutboxTableRow>(
      "SELECT * FROM outbox WHERE state = 'queued' AND due_at <= ? ORDER BY due_at, rowid LIMIT ?",
    ),
    inFlight: db.prepare<[], OutboxTableRow>(
      "SELECT * FROM outbox WHERE state = 'in-flight' ORDER BY rowid",
    ),
    start: db.prepare(
      "UPDATE outbox SET state = 'in-flight', started_at = ? WHERE activity_id = ? AND attempt = ? AND state = 'queued'",
    ),
    retry: db.prepare(
      "UPDATE outbox SET state = 'queued', due_at = ?, tries = tries + 1, reason = ? WHERE activity_id = ? AND attempt = ? AND state = 'in-flight'",
    ),
    settle: db.prepare(
      `UPDATE outbox SET state = 'done', outcome = ?, reason = ?,
       provider_message_id = coalesce(?, provider_message_id) WHERE activity_id = ? AND attempt = ?`,
    ),
    oldestUnsent: db.prepare<[], { at: number | null }>(
      "SELECT min(coalesce(queued_at, created_at)) AS at FROM outbox WHERE state IN ('queued', 'in-flight')",
    ),
    restore: db.prepare(
      `INSERT OR REPLACE INTO outbox (activity_id, attempt, phone_number_id, conversation_id, member_id,
       provider, from_number, to_number, body, created_at, state, due_at, tries, queued_at, started_at,
       outcome, reason, provider_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byProviderId: db.prepare<[ProviderName, string], OutboxTableRow>(
      'SELECT * FROM outbox WHERE provider = ? AND provider_message_id = ?',
    ),
  }
  return {
    enqueueOutgoing(r, dueAt = r.createdAt) {
      ensureOpen()
      q.enqueue.run(
        r.activityId,
        r.attempt,
        r.phoneNumberId,
        r.conversationId,
        r.memberId,
        r.provider,
        r.from,
        r.to,
        r.body,
        r.createdAt,
        dueAt,
        dueAt,
      )
    },
    restoreOutgoing(r, queuedAt) {
      ensureOpen()
      q.restore.run(
        r.activityId,
        r.attempt,
        r.phoneNumberId,
        r.conversationId,
        r.memberId,
        r.provider,
        r.from,
        r.to,
        r.body,
        r.createdAt,
        r.state,
        r.dueAt,
        r.tries,
        queuedAt,
        r.startedAt ?? null,
        r.outcome ?? null,
        r.reason ?? null,
        r.providerMessageId ?? null,
      )
    },
    getOutgoing: (activityId) => toOutboxRow(q.get.get(activityId)),
    dueOutgoing: (now, limit) => q.due.all(now, limit).map((r) => toOutboxRow(r)!),
    inFlightOutgoing: () => q.inFlight.all().map((r) => toOutboxRow(r)!),
    startOutgoing(activityId, attempt, at) {
      ensureOpen()
      return q.start.run(at, activityId, attempt).changes > 0
    },
    retryOutgoing(activityId, attempt, dueAt, reason) {
      ensureOpen()
      q.retry.run(dueAt, reason, activityId, attempt)
    },
    settleOutgoing(activityId, attempt, outcome, details = {}) {
      ensureOpen()
      q.settle.run(
        outcome,
        details.reason ?? null,
        details.providerMessageId ?? null,
        activityId,
        attempt,
      )
    },
    outgoingByProviderId: (provider, id) => toOutboxRow(q.byProviderId.get(provider, id)),
    oldestUnsent: () => q.oldestUnsent.get()?.at ?? null,
  }
}
