/** @module The Outbox in memory (storage/outbox.ts), for the memory store. */
import type { Outbox, OutboxRow } from './outbox.ts'

export function createMemoryOutbox(open: () => void): Outbox {
  const rows = new Map<string, { row: OutboxRow; seq: number; queuedAt: number }>()
  let seq = 0
  const copy = (r: OutboxRow | undefined): OutboxRow | null => (r ? { ...r } : null)
  const current = (activityId: string, attempt: number) => {
    const held = rows.get(activityId)
    return held && held.row.attempt === attempt ? held.row : null
  }
  return {
    enqueueOutgoing(row, dueAt = row.createdAt) {
      open()
      rows.set(row.activityId, {
        row: { ...row, state: 'queued', dueAt, tries: 0 },
        seq: seq++,
        queuedAt: dueAt,
      })
    },
    restoreOutgoing(row, queuedAt) {
      open()
      rows.set(row.activityId, { row: { ...row }, seq: seq++, queuedAt })
    },
    getOutgoing: (activityId) => copy(rows.get(activityId)?.row),
    dueOutgoing(now, limit) {
      return [...rows.values()]
        .filter((h) => h.row.state === 'queued' && h.row.dueAt <= now)
        .sort((a, b) => a.row.dueAt - b.row.dueAt || a.seq - b.seq)
        .slice(0, limit)
        .map((h) => ({ ...h.row }))
    },
    inFlightOutgoing: () =>
      [...rows.values()]
        .filter((h) => h.row.state === 'in-flight')
        .sort((a, b) => a.seq - b.seq)
        .map((h) => ({ ...h.row })),
    startOutgoing(activityId, attempt, at) {
      open()
      const row = current(activityId, attempt)
      if (!row || row.state !== 'queued') return false
      row.state = 'in-flight'
      row.startedAt = at
      return true
    },
    retryOutgoing(activityId, attempt, dueAt, reason) {
      open()
      const row = current(activityId, attempt)
      if (!row || row.state !== 'in-flight') return
      row.state = 'queued'
      row.dueAt = dueAt
      row.tries += 1
      row.reason = reason
    },
    settleOutgoing(activityId, attempt, outcome, details = {}) {
      open()
      const row = current(activityId, attempt)
      if (!row) return
      row.state = 'done'
      row.outcome = outcome
      if (details.reason !== undefined) row.reason = details.reason
      else delete row.reason
      if (details.providerMessageId !== undefined) row.providerMessageId = details.providerMessageId
    },
    oldestUnsent() {
      let oldest: number | null = null
      for (const { row, queuedAt } of rows.values())
        if (row.state !== 'done' && (oldest === null || queuedAt < oldest)) oldest = queuedAt
      return oldest
    },
    outgoingByProviderId(provider, providerMessageId) {
      for (const { row } of rows.values())
        if (row.provider === provider && row.providerMessageId === providerMessageId)
          return { ...row }
      return null
    },
  }
}
