/**
 * @module `switchboard stats`: the team figures of docs/team-figures.md, computed from this
 * replica's inbox documents by core's `teamFigures` — the same numbers as the web Team page.
 */
import type { ConversationName } from './contact-label.ts'
import { parseArgs } from 'node:util'
import {
  doneWithNewIncoming,
  openWithoutResponse,
  teamFigures,
  WEEKDAYS,
  type HistoryEntry,
  type TeamFigures,
} from '@switchboard/core'
import {
  ErrorCode,
  SwitchboardError,
  type Inbox,
  type Member,
  type PhoneNumber,
  type Switchboard,
} from '@switchboard/client/node'
import { CliError } from './session.ts'

export const STATS_USAGE = `  stats [--number NAME] [--since 7d|24h|today|DATE] [--member ID] [--waiting 24h] [--json]`

/** The replica options the shared opener understands. */
export interface ReplicaFlags {
  data?: string
  offline?: boolean
  timeout?: string
}

export interface StatsIo {
  out(line: string): void
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `7d`, `24h`, `90m`, `2w`, `today` or a date; returns the range start (ms). */
export function parseSince(text: string, now: number): number {
  const m = /^(\d+)([mhdw])$/.exec(text.trim())
  if (m) return now - Number(m[1]) * UNITS[m[2]!]!
  if (text === 'today') {
    const d = new Date(now)
    d.setHours(0, 0, 0, 0)
    return d.getTime()
  }
  const at = Date.parse(text)
  if (Number.isFinite(at) && at < now) return at
  throw new CliError(`--since must look like 7d, 24h, today or a past date (got '${text}')`, 2)
}

/** 42s, 12m, 3h 05m, 2d 4h. */
export function duration(ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 ? `${h}h ${String(m % 60).padStart(2, '0')}m` : `${h}h`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)}%`
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  )
}

/** The human-readable report. */
export function formatStats(
  f: TeamFigures,
  ctx: { title: string; members: Member[]; timeZone: string },
): string[] {
  const name = (id: string | null) =>
    id === null ? '(no member)' : (ctx.members.find((m) => m.id === id)?.name ?? id)
  const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
  const r = f.responseTime
  const c = f.completionRate
  const last = f.backlog.at(-1)
  const busiest = f.volumeByHour
    .map((count, hour) => ({ count, hour }))
    .filter((x) => x.count > 0)
    .sort((a, b) => b.count - a.count || a.hour - b.hour)
    .slice(0, 3)
    .map((x) => `${String(x.hour).padStart(2, '0')}h (${x.count})`)
  const lines = [
    `Team figures · ${ctx.title} · ${when(f.from)} → ${when(f.to)} UTC`,
    'A response is an outgoing reply or the conversation marked Done; reading is not responding.',
    `  First response   median ${duration(r.median)} · p90 ${duration(r.p90)} · ${r.count} answered · ${r.waiting} waiting`,
    `  Completion       ${percent(c.rate)} (${c.doneOfReceived} of ${c.received} conversations with incoming) · ${c.done} completed in all`,
    `  Volume           ${f.volume.incoming} incoming · ${f.volume.outgoing} outgoing`,
    `  Busiest hours    ${busiest.join(', ') || '—'} (${ctx.timeZone})`,
    `  By weekday       ${WEEKDAYS.map((d, i) => `${d} ${f.volumeByWeekday[i]}`).join(' · ')}`,
    `  Backlog at end   ${last ? `${last.open} open · ${last.unread} unread` : '—'}`,
  ]
  const ids = new Set<string | null>([
    ...f.responseByMember.map((m) => m.memberId),
    ...f.marksByMember.map((m) => m.memberId),
  ])
  if (ids.size) {
    const rows = [
      ['member', 'answered', 'median', 'p90', 'completed', 'done', 'open', 'unread', 'read'],
    ]
    for (const id of [...ids].sort((a, b) => name(a).localeCompare(name(b)))) {
      const resp = f.responseByMember.find((m) => m.memberId === id)
      const marks = f.marksByMember.find((m) => m.memberId === id)
      rows.push([
        name(id),
        String(resp?.count ?? 0),
        duration(resp?.median ?? null),
        duration(resp?.p90 ?? null),
        String(marks?.completed ?? 0),
        String(marks?.done ?? 0),
        String(marks?.open ?? 0),
        String(marks?.unread ?? 0),
        String(marks?.read ?? 0),
      ])
    }
    lines.push('Members', ...table(rows).map((l) => '  ' + l))
  }
  return lines
}

function pickNumbers(all: PhoneNumber[], wanted: string | undefined): PhoneNumber[] {
  if (!wanted) return all
  const want = wanted.toLowerCase()
  const found = all.filter(
    (p) => p.id.toLowerCase() === want || p.name.toLowerCase() === want || p.number === wanted,
  )
  if (!found.length) throw new CliError(`unknown phone number '${wanted}'`)
  return found
}

/** Runs `switchboard stats …`; `open` opens (and syncs, unless --offline) the replica. */
/**
 * The audit entries the relay archived out of these inboxes (older than the history horizon), so
 * figures over a long range still see those marks. Unreachable relay: the room's history only.
 */
async function archivedHistory(
  inboxes: Inbox[],
): Promise<{ entries: HistoryEntry[]; unavailable: boolean }> {
  try {
    const lists = await Promise.all(inboxes.map((i) => i.archivedHistory()))
    return { entries: lists.flat(), unavailable: false }
  } catch (err) {
    if (err instanceof SwitchboardError && err.code === ErrorCode.Unavailable)
      return { entries: [], unavailable: true }
    throw err
  }
}

export async function stats(
  argv: string[],
  io: StatsIo,
  open: (
    flags: ReplicaFlags,
    fn: (sb: Switchboard, name?: ConversationName) => Promise<void>,
  ) => Promise<void>,
  now: number = Date.now(),
): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        number: { type: 'string' },
        since: { type: 'string' },
        member: { type: 'string' },
        waiting: { type: 'string' },
        json: { type: 'boolean' },
        offline: { type: 'boolean' },
        data: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see switchboard --help)`, 2)
  }
  if (values.help) {
    io.out(`usage: switchboard${STATS_USAGE.trimStart().replace(/^/, ' ')}`)
    return
  }
  const from = parseSince(values.since ?? '7d', now)
  const waitingMs = now - parseSince(values.waiting ?? '24h', now)
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
  const flags: ReplicaFlags = {}
  if (values.data !== undefined) flags.data = values.data
  if (values.offline) flags.offline = true
  if (values.timeout !== undefined) flags.timeout = values.timeout
  await open(flags, async (sb, name) => {
    const numbers = pickNumbers(sb.phoneNumbers(), values.number)
    const inboxes = numbers.map((p) => sb.inbox(p.id))
    await Promise.all(inboxes.map((i) => i.whenLoaded))
    const docs = inboxes.map((i) => i.doc)
    const archive = values.offline ? null : await archivedHistory(inboxes)
    const options = {
      from,
      to: now,
      now,
      timeZone,
      ...(values.member ? { memberId: values.member } : {}),
      ...(archive?.entries.length ? { archivedHistory: archive.entries } : {}),
    }
    const figures = teamFigures(docs, options)
    const reopened = doneWithNewIncoming(docs, { since: from })
    const waiting = openWithoutResponse(docs, waitingMs, now)
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            phoneNumbers: numbers.map((p) => p.id),
            timeZone,
            memberId: values.member ?? null,
            responseCounts:
              'an outgoing reply or the conversation marked Done; reading is not responding',
            archivedHistory: archive
              ? { entries: archive.entries.length, unavailable: archive.unavailable }
              : null,
            figures,
            review: { doneWithNewIncoming: reopened, openWithoutResponse: waiting, waitingMs },
          },
          null,
          2,
        ),
      )
      return
    }
    // [C7] Each listed conversation by the name the team gave its contact.
    const label = (id: string, provided: string | null) => {
      const c = name && inboxes.map((i) => i.get(id)).find((x) => x !== undefined)
      return (c ? name!(c) : provided) ?? ''
    }
    const title =
      numbers.length === 1 ? `${numbers[0]!.name} (${numbers[0]!.number})` : 'all phone numbers'
    const members = sb.members()
    for (const line of formatStats(figures, { title, members, timeZone })) io.out(line)
    if (!archive || archive.unavailable)
      io.out(
        "  (the relay's history archive was not read: marks older than the room's history horizon are missing)",
      )
    io.out('Weekly review')
    io.out(`  Done, then a new incoming message: ${reopened.length}`)
    for (const r of reopened.slice(0, 10))
      io.out(`    ${r.conversationId}  ${label(r.conversationId, r.contactName)}`.trimEnd())
    io.out(`  Open without a response for more than ${duration(waitingMs)}: ${waiting.length}`)
    for (const w of waiting.slice(0, 10))
      io.out(
        `    ${w.conversationId}  waiting ${duration(w.waitingMs)}  ${label(w.conversationId, w.contactName)}`.trimEnd(),
      )
  })
}
