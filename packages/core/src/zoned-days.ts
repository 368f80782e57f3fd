/**
 * @module Midnights in an IANA time zone, so the team figures' daily buckets are the viewer's
 * days (a day of 23 or 25 hours across a daylight-saving change included), not UTC days.
 */

const DAY = 86_400_000

/** The zone's UTC offset (ms) at `ms`: its wall clock read as if it were UTC, minus `ms`. */
function offsetReader(timeZone: string): (ms: number) => number {
  if (timeZone === 'UTC') return () => 0
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  return (ms) => {
    const p: Record<string, number> = {}
    for (const part of format.formatToParts(ms)) p[part.type] = Number(part.value)
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!)
    return wall - (ms - (((ms % 1000) + 1000) % 1000))
  }
}

/** Every midnight of `timeZone` strictly between `from` and `to` (ms), ascending. */
export function zonedMidnights(from: number, to: number, timeZone: string): number[] {
  const offset = offsetReader(timeZone)
  const out: number[] = []
  let t = from
  for (;;) {
    const wallMidnight = Math.floor((t + offset(t)) / DAY) * DAY + DAY
    let next = wallMidnight - offset(t)
    // The offset may change before that midnight (daylight saving): read it there.
    next = wallMidnight - offset(next)
    if (next <= t || next >= to) break
    out.push(next)
    t = next
  }
  return out
}
