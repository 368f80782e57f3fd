/** @module The snooze menu's choices and the words that say why a conversation is away or back [Z5]. */
import { snoozeState, type Conversation, type SnoozeUntil } from '@switchboard/core'

export interface SnoozeChoice {
  label: string
  until: SnoozeUntil
}

const HOUR = 3_600_000

/** A local date at `hour`:00, `days` after `now`'s day. */
function at(now: number, days: number, hour: number): number {
  const d = new Date(now)
  d.setDate(d.getDate() + days)
  d.setHours(hour, 0, 0, 0)
  return d.getTime()
}

/**
 * The preset choices at `now` (local time): later today (3 hours on, on the hour, while that is
 * still today), tomorrow 9:00, next Monday 9:00, and until they reply.
 */
export function snoozeChoices(now: number): SnoozeChoice[] {
  const choices: SnoozeChoice[] = []
  const later = Math.ceil((now + 3 * HOUR) / HOUR) * HOUR
  if (new Date(later).getDate() === new Date(now).getDate())
    choices.push({ label: 'Later today', until: later })
  choices.push({ label: 'Tomorrow', until: at(now, 1, 9) })
  const day = new Date(now).getDay()
  choices.push({ label: 'Next week', until: at(now, (8 - day) % 7 || 7, 9) })
  choices.push({ label: 'Until they reply', until: 'reply' })
  return choices
}

/** The `datetime-local` value (seconds included) of a time, in local time. */
export function toLocalInput(time: number): string {
  const d = new Date(time)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** The time a `datetime-local` value names (local time), or null when it names none. */
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null
  const t = new Date(value).getTime()
  return Number.isFinite(t) ? t : null
}

/** A wake time as people read it: "3:00 PM", "Tue 9:00 AM" or "Jan 5, 9:00 AM". */
export function formatWake(time: number, now: number): string {
  const d = new Date(time)
  const clock = d.toLocaleTimeString(undefined, {
    hour: 'numeric',
    minute: '2-digit',
    ...(d.getSeconds() ? { second: '2-digit' } : {}),
  })
  if (d.toDateString() === new Date(now).toDateString()) return clock
  if (time - now < 6 * 24 * HOUR)
    return `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${clock}`
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${clock}`
}

const activityWords = { message: 'SMS', call: 'call', voicemail: 'voicemail' } as const

/**
 * What the row and the thread header say about a snooze at `now`: while away, until when; once
 * back, why ("Snooze ended", "Woken by new SMS"); null without a snooze.
 */
export function snoozeNote(c: Conversation, now: number): string | null {
  const s = snoozeState(c, now)
  if (s.snoozed)
    return s.wakesAt === null
      ? 'Snoozed until they reply'
      : `Snoozed until ${formatWake(s.wakesAt, now)}`
  if (s.woke === 'time') return 'Snooze ended'
  if (s.woke === 'incoming') {
    const a = c.lastActivity
    const kind = a && a.id === c.snooze?.wokenBy ? a.kind : 'message'
    return `Woken by new ${activityWords[kind]}`
  }
  return null
}
