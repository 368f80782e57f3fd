/**
 * @module The Outbox (storage/outbox.ts) on PostgreSQL, answered from the directory's cache and
 * written through. Taking a row in flight is conditional in SQL too: of two relays starting the
 * same reply at once only one wins, so a reply is never sent blindly twice [O4].
 */
import type { Outbox, OutboxRow } from './outbox.ts'
import { rowRef, Table, type HeldOutboxRow } from './postgres-directory-state.ts'
import type { WriteContext } from './postgres-write-queue.ts'

export function createPostgresOutbox({ state, ensureOpen, write }: WriteContext): Outbox {
  const rows = state.rows.outbox
  const copy = (h: HeldOutboxRow | undefined): OutboxRow | null => (h ? { ...h.row } : null)
  const current = (activityId: string, attempt: number) => {
    const held = rows.get(activityId)
    return held && held.row.attempt === attempt ? held : null
  }
  const change = (held: HeldOutboxRow, row: OutboxRow) =>
    state.set(Table.Outbox, row.activityId, { ...held, row })
  const refs = (activityId: string) => ({
    refs: [rowRef(Table.Outbox, activityId)],
    tables: [Table.Outbox],
  })
  const nextOrder = () => {
    let last = 0
    for (const h of rows.values()) last = Math.max(last, h.order)
    return last + 1
  }

  return {
    enqueueOutgoing(r, dueAt = r.createdAt) {
      ensureOpen()
      const row: OutboxRow = { ...r, state: 'queued', dueAt, tries: 0 }
      state.set(Table.Outbox, r.activityId, { row, order: nextOrder(), queuedAt: dueAt })
      // A replaced row takes a new place in the order, so a resend queues behind what waits.
      write({
        ...refs(r.activityId),
        run: (tx) => tx`
          insert into outbox (activity_id, attempt, phone_number_id, conversation_id, member_id,
            provider, from_number, to_number, body, created_at, state, due_at, tries, queued_at)
          values (${r.activityId}, ${r.attempt}, ${r.phoneNumberId}, ${r.conversationId},
            ${r.memberId}, ${r.provider}, ${r.from}, ${r.to}, ${r.body}, ${r.createdAt}, 'queued',
            ${dueAt}, 0, ${dueAt})
          on conflict (activity_id) do update set attempt = excluded.attempt,
            phone_number_id = excluded.phone_number_id, conversation_id = excluded.conversation_id,
            member_id = excluded.member_id, provider = excluded.provider,
            from_number = excluded.from_number, to_number = excluded.to_number,
            body = excluded.body, created_at = excluded.created_at, state = 'queued',
            due_at = excluded.due_at, tries = 0, started_at = null, outcome = null, reason = null,
            provider_message_id = null, queued_at = excluded.queued_at,
            enqueued = nextval('outbox_order'), xid = excluded.xid`,
      })
    },
    restoreOutgoing(r, queuedAt) {
      ensureOpen()
      state.set(Table.Outbox, r.activityId, { row: { ...r }, order: nextOrder(), queuedAt })
      write({
        ...refs(r.activityId),
        run: (tx) => tx`
          insert into outbox (activity_id, attempt, phone_number_id, conversation_id, member_id,
            provider, from_number, to_number, body, created_at, state, due_at, tries, queued_at,
            started_at, outcome, reason, provider_message_id)
          values (${r.activityId}, ${r.attempt}, ${r.phoneNumberId}, ${r.conversationId},
            ${r.memberId}, ${r.provider}, ${r.from}, ${r.to}, ${r.body}, ${r.createdAt},
            ${r.state}, ${r.dueAt}, ${r.tries}, ${queuedAt}, ${r.startedAt ?? null},
            ${r.outcome ?? null}, ${r.reason ?? null}, ${r.providerMessageId ?? null})
          on conflict (activity_id) do update set attempt = excluded.attempt,
            phone_number_id = excluded.phone_number_id, conversation_id = excluded.conversation_id,
            member_id = excluded.member_id, provider = excluded.provider,
            from_number = excluded.from_number, to_number = excluded.to_number,
            body = excluded.body, created_at = excluded.created_at, state = excluded.state,
            due_at = excluded.due_at, tries = excluded.tries, started_at = excluded.started_at,
            outcome = excluded.outcome, reason = excluded.reason,
            provider_message_id = excluded.provider_message_id, queued_at = excluded.queued_at,
            enqueued = nextval('outbox_order'), xid = excluded.xid`,
      })
    },
    getOutgoing: (activityId) => copy(rows.get(activityId)),
    dueOutgoing: (now, limit) =>
      [...rows.values()]
        .filter((h) => h.row.state === 'queued' && h.row.dueAt <= now)
        .sort((a, b) => a.row.dueAt - b.row.dueAt || a.order - b.order)
        .slice(0, limit)
        .map((h) => ({ ...h.row })),
    inFlightOutgoing: () =>
      [...rows.values()]
        .filter((h) => h.row.state === 'in-flight')
        .sort((a, b) => a.order - b.order)
        .map((h) => ({ ...h.row })),
    startOutgoing(activityId, attempt, at) {
      ensureOpen()
      const held = current(activityId, attempt)
      if (!held || held.row.state !== 'queued') return false
      change(held, { ...held.row, state: 'in-flight', startedAt: at })
      write({
        ...refs(activityId),
        conditional: true,
        run: async (tx) =>
          (
            await tx`update outbox set state = 'in-flight', started_at = ${at},
              xid = pg_current_xact_id()
              where activity_id = ${activityId} and attempt = ${attempt} and state = 'queued'`
          ).count > 0,
      })
      return true
    },
    retryOutgoing(activityId, attempt, dueAt, reason) {
      ensureOpen()
      const held = current(activityId, attempt)
      if (!held || held.row.state !== 'in-flight') return
      change(held, { ...held.row, state: 'queued', dueAt, tries: held.row.tries + 1, reason })
      write({
        ...refs(activityId),
        run: (tx) => tx`update outbox set state = 'queued', due_at = ${dueAt},
          tries = tries + 1, reason = ${reason}, xid = pg_current_xact_id()
          where activity_id = ${activityId} and attempt = ${attempt} and state = 'in-flight'`,
      })
    },
    settleOutgoing(activityId, attempt, outcome, details = {}) {
      ensureOpen()
      const held = current(activityId, attempt)
      if (!held) return
      const row: OutboxRow = { ...held.row, state: 'done', outcome }
      if (details.reason !== undefined) row.reason = details.reason
      else delete row.reason
      if (details.providerMessageId !== undefined) row.providerMessageId = details.providerMessageId
      change(held, row)
      write({
        ...refs(activityId),
        run: (tx) => tx`update outbox set state = 'done', outcome = ${outcome},
          reason = ${details.reason ?? null},
          provider_message_id = coalesce(${details.providerMessageId ?? null},
            provider_message_id),
          xid = pg_current_xact_id()
          where activity_id = ${activityId} and attempt = ${attempt}`,
      })
    },
    outgoingByProviderId(provider, providerMessageId) {
      for (const { row } of rows.values())
        if (row.provider === provider && row.providerMessageId === providerMessageId)
          return { ...row }
      return null
    },
    oldestUnsent() {
      let oldest: number | null = null
      for (const { row, queuedAt } of rows.values())
        if (row.state !== 'done' && (oldest === null || queuedAt < oldest)) oldest = queuedAt
      return oldest
    },
  }
}
