/** @module Display formatting: times, durations, names, activity words. */
import type { ActivityKind } from '@switchboard/core'

const formatOptions = {
  weekday: { weekday: 'short' },
  dayMonth: { day: 'numeric', month: 'short' },
  dayMonthYear: { day: 'numeric', month: 'short', year: 'numeric' },
} satisfies Record<string, Intl.DateTimeFormatOptions>
const formatters = new Map<keyof typeof formatOptions, Intl.DateTimeFormat>()

/**
 * What `toLocaleDateString(undefined, options)` gives, made once: that call builds a formatter
 * each time, which a list of rows repeats on every key.
 */
function formatter(kind: keyof typeof formatOptions): Intl.DateTimeFormat {
  let f = formatters.get(kind)
  if (!f) formatters.set(kind, (f = new Intl.DateTimeFormat(undefined, formatOptions[kind])))
  return f
}

/** "10:02" today, "Mon" this week, "12 Mar" this year, else "12 Mar 2024". */
export function formatListTime(at: number, now: number = Date.now()): string {
  const d = new Date(at)
  const n = new Date(now)
  if (d.toDateString() === n.toDateString()) return formatClock(at)
  const days = (now - at) / 86_400_000
  if (days >= 0 && days < 6) return formatter('weekday').format(d)
  if (d.getFullYear() === n.getFullYear()) return formatter('dayMonth').format(d)
  return formatter('dayMonthYear').format(d)
}

/** "10:02" (24-hour), stable across locales so explanations read the same everywhere. */
export function formatClock(at: number): string {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** "10:02" today, otherwise "12 Mar 10:02". */
export function formatWhen(at: number, now: number = Date.now()): string {
  const d = new Date(at)
  if (d.toDateString() === new Date(now).toDateString()) return formatClock(at)
  return `${formatter('dayMonth').format(d)} ${formatClock(at)}`
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** The word for an activity kind in explanations: "SMS", "call", "voicemail". */
export function activityWord(kind: ActivityKind): string {
  return kind === 'message' ? 'SMS' : kind
}

/** "AL" for "Alice Liddell", "B" for "bob". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  if (parts.length === 0) return '?'
  const first = parts[0]!.charAt(0)
  const last = parts.length > 1 ? parts[parts.length - 1]!.charAt(0) : ''
  return (first + last).toUpperCase()
}

/** A stable hue for a member's avatar. */
export function hueFor(id: string): number {
  let h = 0
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360
  return h
}

/** "1 change not yet synced", "3 changes not yet synced", "All changes synced". */
export function pendingText(pending: number): string {
  if (pending <= 0) return 'All changes synced'
  return `${pending} ${pending === 1 ? 'change' : 'changes'} not yet synced`
}
