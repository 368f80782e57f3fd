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
import { timestampWall } from './hlc.ts'
import { buildTimelines, docsOf, lowerBound, stateAt } from './stats-timeline.ts'
import type { HistoryEntry } from './types.ts'
import { zonedMidnights } from './zoned-days.ts'

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
  /**
   * Width of a backlog bucket (ms); default hourly up to two days, daily beyond, the daily ones
   * ending at midnight in `timeZone`.
   */
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

function compareNumbers(a: number, b: number): number {
  return a - b
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
      // Snoozes are reminders, not triage the figures count [Z6].
      if (m.kind === 'snooze' || m.kind === 'unsnooze') continue
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
  // Daily buckets end at midnight in the time zone asked for: each one is one of the viewer's days.
  if (bucket === DAY && options.bucketMs === undefined)
    points.push(...zonedMidnights(from, end, options.timeZone ?? 'UTC'))
  else for (let t = from + bucket; t < end; t += bucket) points.push(t)
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
