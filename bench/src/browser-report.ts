/** @module The markdown section of workload 6 (browser): first paint from IndexedDB and `E`. */
import type { BrowserSearchRow } from './browser-search.ts'
import type { BrowserRow } from './browser.ts'
import { median } from './stats.ts'

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—')

/** Nearest-rank percentile of a few samples (30 presses, not a histogram). */
export function quantile(values: number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(v.length * p) - 1))]!
}

export function browserSection(rows: BrowserRow[]): string[] {
  const lines = [
    '## 6. Browser (Chromium, Playwright): an inbox opened from IndexedDB, and `E`',
    '',
    'Signed in once, synced and stored by the web app; then offline (`context.setOffline`) and reloaded from the service worker: the rows can only come from IndexedDB. Times from navigation start to the painted frame (medians of the reloads). *First rows* may come from the rows the app last showed (kept in IndexedDB beside the replica); *replica list* is the first frame showing the loaded replica’s own list. The floor is a raw IndexedDB read of the stored room in the same page. `E` is timed in the page from the keydown to the painted frame with the next conversation selected, and to the frame without the done row (offline, 150 ms between presses). Targets: painted ≤ 1,000 ms at 100,000; `E` ≤ 16 ms.',
    '',
    '| conversations | open | stored MiB | first rows ms | replica list ms | IndexedDB read ms (floor) | replica list / floor | E → next p50 / p95 ms | E → list settled p50 / p95 ms | sync after sign-in s |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const r of rows) {
    const paint = median(r.firstPaintMs)
    const loaded = r.loadedMs.length ? median(r.loadedMs) : paint
    const floor = median(r.idbReadMs)
    lines.push(
      `| ${r.conversations.toLocaleString('en')}${r.epoch ? ", after the relay's epoch" : ''} | ${r.open.toLocaleString('en')} | ${f(r.stored.bytes / 2 ** 20, 1)} | ${f(paint)} | ${f(loaded)} | ${f(floor)} | ${f(loaded / floor, 1)}× | ${f(median(r.doneNext), 1)} / ${f(quantile(r.doneNext, 0.95), 1)} | ${f(median(r.doneSettle), 1)} / ${f(quantile(r.doneSettle, 0.95), 1)} | ${f(r.syncMs / 1000, 1)} |`,
    )
  }
  const small = rows[0]
  const big = rows.filter((r) => !r.epoch).at(-1)
  if (small && big && big !== small) {
    const ratio = (a: number[], b: number[]) => f(median(a) / median(b), 1)
    lines.push('')
    lines.push(
      `${big.conversations.toLocaleString('en')} vs ${small.conversations.toLocaleString('en')}: first rows ${ratio(big.firstPaintMs, small.firstPaintMs)}×, replica list ${ratio(big.loadedMs.length ? big.loadedMs : big.firstPaintMs, small.loadedMs.length ? small.loadedMs : small.firstPaintMs)}×, E → next ${ratio(big.doneNext, small.doneNext)}×.`,
    )
  }
  const bulk = rows.filter((r) => r.bulkDone?.length)
  if (bulk.length) {
    lines.push(
      '',
      'Bulk Done (browser-bulk.ts): the first rows of the Open list picked (checkbox, Shift+click), the bulk bar’s “Mark as done” clicked, timed to the painted frame without them; then Ctrl+Z to the frame with them back (one undo step). Offline, so local apply and paint. Target ≤ 300 ms for 1,000.',
      '',
      '| conversations | picked | bulk Done → painted p50 / max ms | undo → painted p50 / max ms |',
      '|--:|--:|--:|--:|',
      ...bulk.map(
        (r) =>
          `| ${r.conversations.toLocaleString('en')}${r.epoch ? ", after the relay's epoch" : ''} | ${r.bulkCount?.toLocaleString('en')} | ${f(median(r.bulkDone!))} / ${f(Math.max(...r.bulkDone!))} | ${f(median(r.bulkUndo!))} / ${f(Math.max(...r.bulkUndo!))} |`,
      ),
    )
  }
  const missed = rows.filter((r) => r.missed > 0)
  if (missed.length)
    lines.push('', ...missed.map((r) => `${r.conversations}: ${r.missed} presses never painted.`))
  lines.push('')
  return lines
}

/** Workload 6b: search across the replica, keystroke → results painted. */
export function searchSection(r: BrowserSearchRow): string[] {
  const lines = [
    '## 6b. Browser: search across a replica (offline)',
    '',
    `${r.conversations.toLocaleString('en')} conversations (their names, numbers and last messages) and ${r.downloaded.toLocaleString('en')} conversations held on the device with ${r.messages.toLocaleString('en')} messages, indexed ${f(r.indexedMs)} ms after an offline reload. Each keystroke timed from its input event to the painted frame with the results (the open tab's own filter included), 8 keys a second. Target: p95 ≤ 50 ms.`,
    '',
    '| query | typed | results | p50 ms | p95 ms |',
    '|--|--|--:|--:|--:|',
  ]
  for (const q of r.queries)
    lines.push(`| ${q.label} | \`${q.query}\` | ${q.results} | ${f(q.p50, 1)} | ${f(q.p95, 1)} |`)
  lines.push(`| every keystroke | | | ${f(r.p50, 1)} | ${f(r.p95, 1)} (max ${f(r.max, 1)}) |`, '')
  return lines
}
