/**
 * @module Restore to a point in time: compensating marks, never a rewrite [T1–T7].
 *
 * At 10:42 Mallory (a stolen account) marks 500 conversations Done. Her marks sit under her own
 * device's keys, and nobody else may rewrite those ([M1]). So the owner restores the inbox to
 * 10:41: for every lane whose winner changed since, the relay writes, under its own restore
 * device, a copy of the lane's winner at 10:41 — same kind, same `seen` — stamped after every
 * current winner (HLC, [M3]), so it wins everywhere (P2). Because it carries the `seen` of
 * 10:41, an SMS that arrived at 10:50 still reopens its conversation ([M4]).
 */
import type * as Y from 'yjs'
import { assert } from './assert.ts'
import { winner } from './derive.ts'
import { formatTimestamp, timestampWall, type Hlc } from './hlc.ts'
import { forEachIndexedRecord, historyIndex, inboxIndex, lanesOf } from './inbox-index.ts'
import { readActivityLog } from './readers.ts'
import { encodeMark, inboxRoots, Lane, markKey, type MarkEntry } from './schema.ts'
import { mergeHistory } from './stats-timeline.ts'
import type { HistoryEntry } from './types.ts'

/** The relay's own device for compensating marks: no member may write under it [T2]. */
export const RESTORE_DEVICE = 'relay-restore'

/** How far back a restore may reach unless the operator says otherwise [T6]. */
export const DEFAULT_RESTORE_RETENTION_DAYS = 30

export interface RestoreOptions {
  /** The moment to restore to (ms): each lane's winner among entries whose wall time ≤ `to`. */
  to: number
  /** The owner who ordered the restore: `by` of the compensating marks, named in the history. */
  by: string
  /** The restore device's clock (device `RESTORE_DEVICE`); it receives the current winners first. */
  clock: Hlc
  /** History entries the relay archived out of the room (`GET /api/history`), any order. */
  archived?: readonly HistoryEntry[]
}

/** One compensating lane entry, written under the restore device's key. */
export interface RestoreWrite {
  conversationId: string
  lane: Lane
  entry: MarkEntry
}

export interface RestorePlan {
  to: number
  by: string
  /** Compensating lane entries, in the order they are written. */
  marks: RestoreWrite[]
  /** Audit entries (one per mark made), each naming who restored and to when (`restoredTo`). */
  history: HistoryEntry[]
  /** Conversations whose state the plan changes back, sorted. */
  conversations: string[]
}

type Candidate = MarkEntry

const STATUS_KINDS = new Set(['done', 'open', 'unread'])

/** The lanes a history entry of `kind` wrote ([M1]: Done/Open/Unread both, Read the flag). */
function lanesOfKind(kind: HistoryEntry['kind']): Lane[] {
  if (STATUS_KINDS.has(kind)) return [Lane.Status, Lane.Flag]
  if (kind === 'read') return [Lane.Flag]
  if (kind === 'pin' || kind === 'unpin') return [Lane.Pin]
  // A restore leaves snoozes alone [Z6]: a snooze is a reminder, not triage work to recover.
  if (kind === 'snooze' || kind === 'unsnooze') return []
  return [Lane.Assign]
}

/** What a lane with no entry shows: Open, read unless something incoming, unpinned, unassigned [T4]. */
function neutral(lane: Lane): Pick<MarkEntry, 'kind' | 'seen' | 'value'> {
  if (lane === Lane.Pin) return { kind: 'unpin', seen: 0 }
  if (lane === Lane.Assign) return { kind: 'assign', seen: 0, value: null }
  return { kind: 'open', seen: 0 }
}

/** What `derive` reads of a lane's winner: two winners with one effect need no compensation. */
function effect(lane: Lane, entry: Pick<MarkEntry, 'kind' | 'seen' | 'value'> | null): string {
  const e = entry ?? neutral(lane)
  if (lane === Lane.Pin) return e.kind
  if (lane === Lane.Assign) return String(e.value ?? '')
  return `${e.kind} ${e.seen}`
}

/**
 * The compensating marks that bring every conversation of `doc` back to its state at
 * `options.to` [T1–T5]. Pure: reads the document and `archived`, writes nothing (see
 * `applyRestore`), but ticks `options.clock`.
 */
export function planRestore(doc: Y.Doc, options: RestoreOptions): RestorePlan {
  const { to, by, clock } = options
  assert(Number.isFinite(to), `restore: 'to' must be a time in ms, got ${String(to)}`)
  assert(by.length > 0, 'restore: by must name the member who restores')
  assert(clock.deviceId === RESTORE_DEVICE, `restore: the clock must be ${RESTORE_DEVICE}'s`)
  const idx = inboxIndex(doc)
  const histories = historyIndex(doc)
  const archivedById = new Map<string, HistoryEntry[]>()
  for (const e of options.archived ?? []) {
    let list = archivedById.get(e.conversationId)
    if (!list) archivedById.set(e.conversationId, (list = []))
    list.push(e)
  }
  let incomingByConversation: Map<string, { at: number; seq: number }[]> | null = null
  /** The incoming sequence a mark without `seen` (older history) had: the newest before it. */
  const seenAt = (conversationId: string, wall: number): number => {
    if (!incomingByConversation) {
      incomingByConversation = new Map()
      for (const a of readActivityLog(doc)) {
        if (a.direction !== 'incoming' || a.seq === undefined) continue
        let list = incomingByConversation.get(a.conversationId)
        if (!list) incomingByConversation.set(a.conversationId, (list = []))
        list.push({ at: a.at, seq: a.seq })
      }
    }
    let seen = 0
    for (const i of incomingByConversation.get(conversationId) ?? [])
      if (i.at <= wall && i.seq > seen) seen = i.seq
    return seen
  }

  const ids: string[] = []
  forEachIndexedRecord(idx, (_record, id) => ids.push(id))
  ids.sort()
  const plan: RestorePlan = { to, by, marks: [], history: [], conversations: [] }
  for (const id of ids) {
    const current = lanesOf(idx, id)
    // Each lane's winner at `to`: the greatest entry made by then, from the audit history (room
    // and archive) and from the lane entries still in the document [T3].
    const atTo: Record<Lane, Candidate | null> = {
      status: null,
      flag: null,
      pin: null,
      assign: null,
      snooze: null,
    }
    const consider = (lane: Lane, c: Candidate) => {
      if (timestampWall(c.at) > to) return
      const best = atTo[lane]
      if (!best || c.at > best.at) atTo[lane] = c
    }
    const archived = archivedById.get(id)
    const entries = archived ? mergeHistory(archived, histories.get(id) ?? []) : histories.get(id)
    for (const e of entries ?? []) {
      const c: Candidate = {
        kind: e.kind,
        at: e.at,
        by: e.memberId,
        device: e.deviceId,
        seen: e.seen ?? seenAt(id, timestampWall(e.at)),
      }
      if (e.kind === 'assign') c.value = e.value ?? null
      for (const lane of lanesOfKind(e.kind)) consider(lane, c)
    }
    for (const lane of [Lane.Status, Lane.Flag, Lane.Pin, Lane.Assign])
      for (const c of current[lane].values()) consider(lane, c)

    const now = {
      status: winner(current.status),
      flag: winner(current.flag),
      pin: winner(current.pin),
      assign: winner(current.assign),
      snooze: null,
    }
    const differs = (lane: Lane) => effect(lane, now[lane]) !== effect(lane, atTo[lane])
    // Status and flag go back together: a Done/Open/Unread wrote both, so the audit replays
    // them as one intent (the team figures read the history with derive's rules, [M9]).
    const groups: Lane[][] = []
    if (differs(Lane.Status) || differs(Lane.Flag)) {
      const sameKind = (atTo.status?.kind ?? 'open') === (atTo.flag?.kind ?? 'open')
      groups.push(
        sameKind ? [Lane.Status, Lane.Flag] : [Lane.Status],
        ...(sameKind ? [] : [[Lane.Flag]]),
      )
    }
    if (differs(Lane.Pin)) groups.push([Lane.Pin])
    if (differs(Lane.Assign)) groups.push([Lane.Assign])
    if (!groups.length) continue
    plan.conversations.push(id)
    // Sort after every current winner of the lanes written, however far behind the relay's
    // clock is: those winners were bounded by the relay when stored [M3, M6].
    for (const lane of groups.flat()) {
      const w = now[lane]
      if (w) clock.receive(w.at, { trusted: true })
    }
    for (const group of groups) {
      const at = formatTimestamp(clock.tick())
      const source = atTo[group[0]!] ?? neutral(group[0]!)
      for (const lane of group) {
        const from = atTo[lane] ?? neutral(lane)
        const entry: MarkEntry = {
          kind: from.kind,
          at,
          by,
          device: RESTORE_DEVICE,
          seen: from.seen,
        }
        if (lane === Lane.Assign) entry.value = from.value ?? null
        plan.marks.push({ conversationId: id, lane, entry })
      }
      const audit: HistoryEntry = {
        conversationId: id,
        kind: source.kind,
        memberId: by,
        deviceId: RESTORE_DEVICE,
        at,
        seen: source.seen,
        restoredTo: to,
      }
      if (group[0] === Lane.Assign) audit.value = source.value ?? null
      plan.history.push(audit)
    }
  }
  return plan
}

/** Writes a plan's compensating marks and audit entries in one transaction [T1, T5]. */
export function applyRestore(doc: Y.Doc, plan: RestorePlan, origin: unknown = null): void {
  if (!plan.marks.length) return
  const marks = inboxRoots.marks(doc)
  const history = inboxRoots.history(doc)
  doc.transact(() => {
    for (const { conversationId, lane, entry } of plan.marks)
      marks.set(markKey(conversationId, lane, entry.device), encodeMark(entry))
    history.insert(history.length, plan.history)
  }, origin)
}

/** Plans and applies a restore of `doc` to `options.to`; returns what it wrote. */
export function restoreInbox(
  doc: Y.Doc,
  options: RestoreOptions,
  origin: unknown = null,
): RestorePlan {
  const plan = planRestore(doc, options)
  applyRestore(doc, plan, origin)
  return plan
}

export type RestoreTimeCheck = { ok: true } | { ok: false; message: string }

/** Whether `to` is a moment a restore may reach at `now`: not ahead, not past retention [T6]. */
export function checkRestoreTime(to: number, now: number, retentionMs: number): RestoreTimeCheck {
  if (!Number.isFinite(to)) return { ok: false, message: 'must be a time (ISO 8601 or ms)' }
  if (to > now) return { ok: false, message: 'is in the future' }
  if (to < now - retentionMs)
    return {
      ok: false,
      message: `is older than the restore retention (${Math.round(retentionMs / 86_400_000)} days)`,
    }
  return { ok: true }
}
