/** @module The Team page's range picker and number formatting, as plain functions. */

export const RangePreset = { Today: 'today', Week: '7d', Month: '30d', Custom: 'custom' } as const
export type RangePreset = (typeof RangePreset)[keyof typeof RangePreset]

export const rangePresets: readonly { id: RangePreset; label: string }[] = [
  { id: RangePreset.Today, label: 'Today' },
  { id: RangePreset.Week, label: '7 days' },
  { id: RangePreset.Month, label: '30 days' },
  { id: RangePreset.Custom, label: 'Custom' },
]

const DAY = 86_400_000

/** Local midnight of the day containing `at`. */
export function startOfDay(at: number): number {
  const d = new Date(at)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

/** `YYYY-MM-DD` in local time, for `<input type="date">`. */
export function dateInputValue(at: number): string {
  const d = new Date(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** Local midnight of a `YYYY-MM-DD` value, or null when it is not a date. */
export function parseDateInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return null
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime()
}

/** Local midnight `days` calendar days before the day of `at` (a 23- or 25-hour day included). */
export function daysBefore(at: number, days: number): number {
  const d = new Date(startOfDay(at))
  d.setDate(d.getDate() - days)
  return d.getTime()
}

/**
 * The half-open range [from, to) a preset stands for at `now`, in the viewer's days: Today,
 * 7 days and 30 days start at a local midnight (today and the 6 or 29 days before it). Custom
 * covers whole local days, first to last inclusive. None runs past `now`.
 */
export function rangeFor(
  preset: RangePreset,
  now: number,
  custom: { first: string; last: string } = { first: '', last: '' },
): { from: number; to: number } {
  if (preset === 'today') return { from: startOfDay(now), to: now }
  if (preset === '7d') return { from: daysBefore(now, 6), to: now }
  if (preset === '30d') return { from: daysBefore(now, 29), to: now }
  const first = parseDateInput(custom.first) ?? startOfDay(now - 7 * DAY)
  const lastDay = parseDateInput(custom.last) ?? startOfDay(now)
  const last = new Date(lastDay)
  last.setDate(last.getDate() + 1)
  const to = Math.min(now, last.getTime())
  return { from: Math.min(first, to), to }
}

/** "42 s", "12 min", "3 h 05 min", "2 d 4 h"; "—" without a value. */
export function formatWait(ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)} %`
}

/** "00h" … "23h": an hour of the day as the charts label it. */
export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, '0')}h`
}
