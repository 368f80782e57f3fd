/**
 * @module One conversation's history for the team figures, replayable at any moment: its
 * incoming and outgoing activity, its audit marks in HLC order, the waits for a response, and
 * the state `derive` shows at a given time [M2–M4].
 */
import type * as Y from 'yjs'
import { deriveConversation, emptyLanes, type OwnLanes } from './derive.ts'
import { timestampWall } from './hlc.ts'
import { forEachIndexedRecord, historyIndex, inboxIndex } from './inbox-index.ts'
import { readActivityLog } from './readers.ts'
import type { ActivityLogEntry, ConversationRecord } from './schema.ts'
import type { HistoryEntry } from './types.ts'

export interface Incoming {
  at: number
  seq: number
}
export interface Response {
  at: number
  memberId: string | null
  /** Done marks: the incoming sequence the author had seen; outgoing: Infinity. */
  seen: number
}
export interface Wait {
  start: number
  response: Response | null
}

/** One conversation's history, replayable at any moment. */
export interface Timeline {
  id: string
  record: ConversationRecord
  incoming: Incoming[]
  /** maxSeq[k]: the greatest sequence among incoming[0..k]. */
  maxSeq: number[]
  outgoing: { at: number; memberId: string | null }[]
  /** Marks in HLC order (walls never decrease). */
  marks: HistoryEntry[]
  /** Incoming sequence each mark's author had seen. */
  seen: number[]
  waits: Wait[]
}

/** The archive's key of an audit entry: one device never makes two marks at one HLC timestamp. */
const historyKey = (e: HistoryEntry) => e.deviceId + ' ' + e.at

/**
 * One conversation's audit history from the archive and the room, each entry once, in HLC order:
 * an epoch archives entries in the same transaction that drops them, and a replica of an older
 * epoch can still hold some, so both sources may carry the same entry.
 */
export function mergeHistory(
  archived: readonly HistoryEntry[],
  room: readonly HistoryEntry[],
): HistoryEntry[] {
  const seen = new Set<string>()
  const out: HistoryEntry[] = []
  for (const e of [...archived, ...room]) {
    const key = historyKey(e)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(e)
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

/** Index of the first element whose key is >= t (keys sorted ascending). */
export function lowerBound<T>(list: readonly T[], t: number, key: (x: T) => number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (key(list[mid]!) < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function buildTimelines(
  docs: readonly Y.Doc[],
  archivedHistory: readonly HistoryEntry[] = [],
): Timeline[] {
  const out: Timeline[] = []
  const archivedById = new Map<string, HistoryEntry[]>()
  for (const entry of archivedHistory) {
    let list = archivedById.get(entry.conversationId)
    if (!list) archivedById.set(entry.conversationId, (list = []))
    list.push(entry)
  }
  for (const doc of docs) {
    const byId = new Map<string, ActivityLogEntry[]>()
    for (const entry of readActivityLog(doc)) {
      let list = byId.get(entry.conversationId)
      if (!list) byId.set(entry.conversationId, (list = []))
      list.push(entry)
    }
    const histories = historyIndex(doc)
    forEachIndexedRecord(inboxIndex(doc), (record, id) => {
      const log = byId.get(id) ?? []
      const incoming: Incoming[] = []
      const outgoing: Timeline['outgoing'] = []
      let seq = 0
      for (const a of log) {
        if (a.direction === 'incoming') {
          seq = a.seq ?? seq + 1
          incoming.push({ at: a.at, seq })
        } else outgoing.push({ at: a.at, memberId: a.memberId ?? null })
      }
      // A document from before the activity log: its newest incoming activity is all we know.
      if (!incoming.length && record.incoming) incoming.push({ ...record.incoming })
      incoming.sort((a, b) => a.at - b.at || a.seq - b.seq)
      outgoing.sort((a, b) => a.at - b.at)
      const archived = archivedById.get(id)
      const marks = archived
        ? mergeHistory(archived, histories.get(id) ?? [])
        : (histories.get(id) ?? [])
      const seen = marks.map((m) => {
        if (m.seen !== undefined) return m.seen
        const i = lowerBound(incoming, timestampWall(m.at) + 1, (x) => x.at)
        return i ? incoming[i - 1]!.seq : 0
      })
      const maxSeq: number[] = []
      for (const i of incoming) maxSeq.push(Math.max(i.seq, maxSeq.at(-1) ?? 0))
      const t: Timeline = { id, record, incoming, maxSeq, outgoing, marks, seen, waits: [] }
      t.waits = waitsOf(t)
      out.push(t)
    })
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * Each wait starts at an incoming activity nobody had responded to yet and ends at the first
 * response: an outgoing activity, or a Done mark whose author had seen the incoming that started
 * the wait. Reading is not responding. Incoming activities during a wait extend it; those a Done
 * author had not seen start the next wait, at their own time [M4].
 */
function waitsOf(t: Timeline): Wait[] {
  type Ev = { at: number; order: number; incoming?: Incoming; response?: Response }
  const events: Ev[] = []
  for (const i of t.incoming) events.push({ at: i.at, order: 0, incoming: i })
  for (const o of t.outgoing)
    events.push({
      at: o.at,
      order: 1,
      response: { at: o.at, memberId: o.memberId, seen: Infinity },
    })
  t.marks.forEach((m, k) => {
    if (m.kind !== 'done') return
    const at = timestampWall(m.at)
    events.push({ at, order: 1, response: { at, memberId: m.memberId, seen: t.seen[k]! } })
  })
  events.sort((a, b) => a.at - b.at || a.order - b.order)
  const waits: Wait[] = []
  let wait: Wait | null = null
  let pending: Incoming[] = []
  for (const e of events) {
    if (e.incoming) {
      if (!wait) waits.push((wait = { start: e.at, response: null }))
      pending.push(e.incoming)
      continue
    }
    const response = e.response!
    if (!wait || response.seen < pending[0]!.seq) continue
    wait.response = response
    pending = pending.filter((i) => i.seq > response.seen)
    wait = pending.length ? { start: pending[0]!.at, response: null } : null
    if (wait) waits.push(wait)
  }
  return waits
}

export interface StateAt {
  exists: boolean
  done: boolean
  unread: boolean
  /** The winning status mark (for completion: who, and when). */
  statusMark: HistoryEntry | null
}

/** The conversation as `derive` shows it to a replica holding every event before `t` [M2–M4]. */
export function stateAt(tl: Timeline, t: number): StateAt {
  if (tl.record.createdAt >= t)
    return { exists: false, done: false, unread: false, statusMark: null }
  const end = lowerBound(tl.marks, t, (m) => timestampWall(m.at))
  let status = -1
  let flag = -1
  for (let k = end - 1; k >= 0 && (status < 0 || flag < 0); k--) {
    const kind = tl.marks[k]!.kind
    if (status < 0 && (kind === 'done' || kind === 'open' || kind === 'unread')) status = k
    if (flag < 0 && (kind === 'done' || kind === 'open' || kind === 'unread' || kind === 'read'))
      flag = k
  }
  const lanes: OwnLanes = emptyLanes()
  const entry = (k: number) => {
    const m = tl.marks[k]!
    return { kind: m.kind, at: m.at, by: m.memberId, device: m.deviceId, seen: tl.seen[k]! }
  }
  if (status >= 0) lanes.status.set('w', entry(status))
  if (flag >= 0) lanes.flag.set('w', entry(flag))
  const i = lowerBound(tl.incoming, t, (x) => x.at)
  const seq = i ? tl.maxSeq[i - 1]! : 0
  const record: ConversationRecord = {
    ...tl.record,
    incoming: seq ? { id: '', seq, at: tl.incoming[i - 1]!.at } : null,
  }
  const c = deriveConversation(tl.id, record, lanes)
  return {
    exists: true,
    done: c.status === 'done',
    unread: c.unread,
    statusMark: status >= 0 ? tl.marks[status]! : null,
  }
}

/** One inbox document, or several (all phone numbers), as a list. */
export function docsOf(docs: Y.Doc | readonly Y.Doc[]): readonly Y.Doc[] {
  return Array.isArray(docs) ? docs : [docs as Y.Doc]
}
