/**
 * @module Team figures: response time, completion, backlog, volume and who marked what,
 * computed from one or more inbox documents alone (docs/team-figures.md).
 *
 * Every input is data every replica holds — the relay-written `activityLog`, the conversation
 * records and the audit `history` — and is replayed in HLC order, so two replicas that have
 * synced report identical figures for the same options, offline or not.
 *
 * Alice marks a conversation Done at 10:02; Bob, offline, reopened it at 10:04 (HLC). After the
 * sync, replaying its history ends on Bob's Open: the conversation is not completed, and Alice's
 * Done still counts as her *response* to the SMS that was waiting. An SMS that Alice had not
 * seen when she marked Done reopens it in the replay just as `derive` does [M4].
 */
import type * as Y from 'yjs'
import { deriveConversation, emptyLanes, type OwnLanes } from './derive.ts'
import { timestampWall } from './hlc.ts'
import { forEachIndexedRecord, historyIndex, inboxIndex, lanesOf } from './inbox-index.ts'
import { readActivityLog } from './readers.ts'
import type { ActivityLogEntry, ConversationRecord } from './schema.ts'
import type { HistoryEntry } from './types.ts'

export interface FiguresOptions {
  /** Start of the range (ms, inclusive). */
  from: number
  /** End of the range (ms, exclusive). */
  to: number
  /** Only responses, completions and marks made by this member; volume and backlog stay the team's. */
  memberId?: string
  /** The time the figures are read at (ms); defaults to `to`. The backlog stops here. */
  now?: number
  /** IANA time zone for hour of day and day of week; default UTC (same on every replica). */
  timeZone?: string
  /** Width of a backlog bucket (ms); default hourly up to two days, daily beyond. */
  bucketMs?: number
  /**
   * Audit entries that left the rooms for the relay's archive (`GET /api/history/:phoneNumberId`,
   * older than an epoch's `historySince`): without them a range reaching back past the horizon
   * would count none of its marks. An entry also still in a room counts once.
   */
  archivedHistory?: readonly HistoryEntry[]
}

/** Nearest-rank percentiles of the times to first response (ms); null without samples. */
export interface ResponseFigures {
  median: number | null
  p90: number | null
  /** Waits that started in the range and got a response. */
  count: number
  /** Waits that started in the range and have no response yet. */
  waiting: number
}

export interface MemberResponseFigures extends ResponseFigures {
  /** Null for outgoing activity no member sent through the app (e.g. from a desk phone). */
  memberId: string | null
}

export interface CompletionFigures {
  /** Conversations completed in the range (Done at its end, by a mark made within it). */
  done: number
  /** Conversations that received incoming activity in the range. */
  received: number
  /** Of `received`, how many were completed in the range. */
  doneOfReceived: number
  /** doneOfReceived / received; null when nothing was received. */
  rate: number | null
}

export interface BacklogPoint {
  /** End of the bucket (ms): the backlog is counted as it stood at this moment. */
  at: number
  open: number
  unread: number
  /** Incoming activities in the bucket. */
  incoming: number
  /** Outgoing activities in the bucket. */
  outgoing: number
}

/** Marks a member made in the range, from the audit history; `completed` counts only Done marks that stuck. */
export interface MemberMarks {
  memberId: string
  done: number
  open: number
  unread: number
  read: number
  pin: number
  unpin: number
  assign: number
  completed: number
}

export interface TeamFigures {
  from: number
  to: number
  responseTime: ResponseFigures
  responseByMember: MemberResponseFigures[]
  completionRate: CompletionFigures
  backlog: BacklogPoint[]
  /** Incoming activities by hour of day (0–23) in `timeZone`. */
  volumeByHour: number[]
  /** Incoming activities by day of week, Monday (0) to Sunday (6), in `timeZone`. */
  volumeByWeekday: number[]
  volume: { incoming: number; outgoing: number }
  marksByMember: MemberMarks[]
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const

const HOUR = 3_600_000
const DAY = 24 * HOUR
const MAX_BUCKETS = 400

interface Incoming {
  at: number
  seq: number
}
interface Response {
  at: number
  memberId: string | null
  /** Done marks: the incoming sequence the author had seen; outgoing: Infinity. */
  seen: number
}
interface Wait {
  start: number
  response: Response | null
}

/** One conversation's history, replayable at any moment. */
interface Timeline {
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

function compareNumbers(a: number, b: number): number {
  return a - b
}

/** Index of the first element whose key is >= t (keys sorted ascending). */
function lowerBound<T>(list: readonly T[], t: number, key: (x: T) => number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (key(list[mid]!) < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

function buildTimelines(
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

interface StateAt {
  exists: boolean
  done: boolean
  unread: boolean
  /** The winning status mark (for completion: who, and when). */
  statusMark: HistoryEntry | null
}

/** The conversation as `derive` shows it to a replica holding every event before `t` [M2–M4]. */
function stateAt(tl: Timeline, t: number): StateAt {
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

/** Nearest-rank percentile (an observed value) of ascending samples. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}

function responseFigures(samples: number[], waiting: number): ResponseFigures {
  samples.sort(compareNumbers)
  return {
    median: percentile(samples, 0.5),
    p90: percentile(samples, 0.9),
    count: samples.length,
    waiting,
  }
}

function zonedClock(timeZone: string): (ms: number) => { hour: number; weekday: number } {
  if (timeZone === 'UTC')
    return (ms) => {
      const d = new Date(ms)
      return { hour: d.getUTCHours(), weekday: (d.getUTCDay() + 6) % 7 }
    }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: 'numeric',
    weekday: 'short',
  })
  return (ms) => {
    let hour = 0
    let weekday = 0
    for (const part of format.formatToParts(ms)) {
      if (part.type === 'hour') hour = Number(part.value) % 24
      else if (part.type === 'weekday')
        weekday = (WEEKDAYS as readonly string[]).indexOf(part.value)
    }
    return { hour, weekday }
  }
}

function emptyMarks(memberId: string): MemberMarks {
  return {
    memberId,
    done: 0,
    open: 0,
    unread: 0,
    read: 0,
    pin: 0,
    unpin: 0,
    assign: 0,
    completed: 0,
  }
}

function docsOf(docs: Y.Doc | readonly Y.Doc[]): readonly Y.Doc[] {
  return Array.isArray(docs) ? docs : [docs as Y.Doc]
}

/** The team figures over [from, to) for one inbox document, or several (all phone numbers). */
export function teamFigures(docs: Y.Doc | readonly Y.Doc[], options: FiguresOptions): TeamFigures {
  const { from, to, memberId } = options
  const now = options.now ?? to
  const timelines = buildTimelines(docsOf(docs), options.archivedHistory)
  const mine = (who: string | null) => memberId === undefined || who === memberId

  // Response time: waits that started in the range.
  const samples: number[] = []
  const byMember = new Map<string | null, number[]>()
  let waiting = 0
  for (const tl of timelines)
    for (const w of tl.waits) {
      if (w.start < from || w.start >= to) continue
      if (!w.response || w.response.at >= now) {
        waiting++
        continue
      }
      if (!mine(w.response.memberId)) continue
      const ms = Math.max(0, w.response.at - w.start)
      samples.push(ms)
      let list = byMember.get(w.response.memberId)
      if (!list) byMember.set(w.response.memberId, (list = []))
      list.push(ms)
    }
  const responseByMember = [...byMember]
    .map(([id, list]) => ({ memberId: id, ...responseFigures(list, 0) }))
    .sort((a, b) => (a.memberId ?? '\uffff').localeCompare(b.memberId ?? '\uffff'))

  // Completion, and the marks behind it.
  const marks = new Map<string, MemberMarks>()
  const marksOf = (id: string) => {
    let m = marks.get(id)
    if (!m) marks.set(id, (m = emptyMarks(id)))
    return m
  }
  let done = 0
  let received = 0
  let doneOfReceived = 0
  const end = Math.min(to, now)
  for (const tl of timelines) {
    for (const m of tl.marks) {
      const wall = timestampWall(m.at)
      if (wall < from || wall >= end || !mine(m.memberId)) continue
      marksOf(m.memberId)[m.kind]++
    }
    const got = tl.incoming.some((i) => i.at >= from && i.at < to)
    if (got) received++
    const s = stateAt(tl, end)
    const mark = s.statusMark
    if (s.done && mark && timestampWall(mark.at) >= from && mine(mark.memberId)) {
      done++
      if (got) doneOfReceived++
      marksOf(mark.memberId).completed++
    }
  }

  // Backlog and volume over time.
  const span = Math.max(0, end - from)
  let bucket = options.bucketMs ?? (to - from <= 2 * DAY ? HOUR : DAY)
  if (span / bucket > MAX_BUCKETS) bucket = Math.ceil(span / MAX_BUCKETS)
  const points: number[] = []
  for (let t = from + bucket; t < end; t += bucket) points.push(t)
  if (span > 0) points.push(end)
  const backlog: BacklogPoint[] = points.map((at) => ({
    at,
    open: 0,
    unread: 0,
    incoming: 0,
    outgoing: 0,
  }))
  const pointOf = (at: number) => lowerBound(points, at + 1, (x) => x)
  const volumeByHour = new Array<number>(24).fill(0)
  const volumeByWeekday = new Array<number>(7).fill(0)
  const clock = zonedClock(options.timeZone ?? 'UTC')
  const volume = { incoming: 0, outgoing: 0 }
  for (const tl of timelines) {
    for (const p of backlog) {
      const s = stateAt(tl, p.at)
      if (s.exists && !s.done) p.open++
      if (s.exists && s.unread) p.unread++
    }
    for (const i of tl.incoming) {
      if (i.at < from || i.at >= to) continue
      volume.incoming++
      const { hour, weekday } = clock(i.at)
      volumeByHour[hour]!++
      volumeByWeekday[weekday]!++
      const p = backlog[pointOf(i.at)]
      if (p) p.incoming++
    }
    for (const o of tl.outgoing) {
      if (o.at < from || o.at >= to) continue
      volume.outgoing++
      const p = backlog[pointOf(o.at)]
      if (p) p.outgoing++
    }
  }

  return {
    from,
    to,
    responseTime: responseFigures(samples, waiting),
    responseByMember,
    completionRate: {
      done,
      received,
      doneOfReceived,
      rate: received ? doneOfReceived / received : null,
    },
    backlog,
    volumeByHour,
    volumeByWeekday,
    volume,
    marksByMember: [...marks.values()].sort((a, b) => a.memberId.localeCompare(b.memberId)),
  }
}

/** A Done conversation that received incoming activity after it was marked Done. */
export interface ReopenedAfterDone {
  conversationId: string
  phoneNumberId: string
  contactName: string | null
  /** The Done mark: who, and its HLC wall time (ms). */
  doneBy: string
  doneAt: number
  /** The newest incoming activity, which the Done author had not seen. */
  incomingAt: number
}

/**
 * Weekly review: conversations whose winning status mark is Done, but whose newest incoming
 * activity came after that mark (its author had not seen it) — they reopened on their own [M4].
 * `since` keeps those whose new incoming arrived at or after it. Newest first.
 */
export function doneWithNewIncoming(
  docs: Y.Doc | readonly Y.Doc[],
  options: { since?: number } = {},
): ReopenedAfterDone[] {
  const out: ReopenedAfterDone[] = []
  for (const doc of docsOf(docs)) {
    const index = inboxIndex(doc)
    forEachIndexedRecord(index, (record, id) => {
      const l = lanesOf(index, id)
      if (!record.incoming) return
      let status = null
      for (const e of l.status.values()) if (!status || e.at > status.at) status = e
      if (status?.kind !== 'done' || status.seen >= record.incoming.seq) return
      if (options.since !== undefined && record.incoming.at < options.since) return
      out.push({
        conversationId: id,
        phoneNumberId: record.phoneNumberId,
        contactName: record.contactName,
        doneBy: status.by,
        doneAt: timestampWall(status.at),
        incomingAt: record.incoming.at,
      })
    })
  }
  return out.sort(
    (a, b) => b.incomingAt - a.incomingAt || a.conversationId.localeCompare(b.conversationId),
  )
}

/** An Open conversation whose incoming activity has waited for a response longer than asked. */
export interface WaitingConversation {
  conversationId: string
  phoneNumberId: string
  contactName: string | null
  /** When the unanswered wait began (the first incoming nobody responded to), ms. */
  waitingSince: number
  waitingMs: number
  unread: boolean
  assignee: string | null
}

/**
 * Weekly review: Open conversations with an incoming activity that has had no response (an
 * outgoing reply or a Done mark that saw it) for more than `olderThanMs` at `now`. Oldest first.
 */
export function openWithoutResponse(
  docs: Y.Doc | readonly Y.Doc[],
  olderThanMs: number,
  now: number,
): WaitingConversation[] {
  const out: WaitingConversation[] = []
  const list = docsOf(docs)
  const derived = new Map(list.flatMap((doc) => [...inboxIndex(doc).derived]))
  for (const tl of buildTimelines(list)) {
    const c = derived.get(tl.id)
    if (!c || c.status !== 'open') continue
    const last = tl.waits.at(-1)
    if (!last || (last.response && last.response.at < now)) continue
    if (now - last.start <= olderThanMs) continue
    out.push({
      conversationId: tl.id,
      phoneNumberId: tl.record.phoneNumberId,
      contactName: tl.record.contactName,
      waitingSince: last.start,
      waitingMs: now - last.start,
      unread: c.unread,
      assignee: c.assignee,
    })
  }
  return out.sort(
    (a, b) => a.waitingSince - b.waitingSince || a.conversationId.localeCompare(b.conversationId),
  )
}
