/**
 * @module Workload 6c (issue 24): Alice's `E` to the row leaving Bob's list, two real browsers.
 * Two Chromium contexts of one browser (so one clock) sign in as Alice and Bob to the same inbox
 * through the relay, online. Alice presses `E` on her selected row; the time counts from her
 * keydown's timestamp to the first frame Bob's page paints without that row (a MutationObserver
 * on his list, then rAF and a message, as the other browser marks). Both times are read as
 * `performance.timeOrigin + …`, the wall clock of each page.
 */
import { chromium, type Browser, type Page } from 'playwright-core'
import { signInAndSync, startInboxServer, waitFor } from './browser.ts'
import { quantile } from './browser-report.ts'
import { median } from './stats.ts'
import { freePort } from './target.ts'

export interface TeammateRow {
  conversations: number
  /** Alice's keydown → Bob's painted frame without the row, ms, per press. */
  leftBob: number[]
  /** Presses whose row never left Bob's list within 10 s. */
  missed: number
}

/** In Bob's page: remembers when each row id left the list, painted (wall-clock ms). */
function watchRowsLeaving(): void {
  const w = window as unknown as { __left: Record<string, number> }
  w.__left = {}
  const list = document.getElementById('conversation-list')!
  let shown = new Set(Array.from(list.querySelectorAll('[role=option]'), (e) => e.id))
  new MutationObserver(() => {
    const now = new Set(Array.from(list.querySelectorAll('[role=option]'), (e) => e.id))
    for (const id of shown)
      if (!now.has(id) && w.__left[id] === undefined)
        requestAnimationFrame(() => {
          const ch = new MessageChannel()
          ch.port1.onmessage = () => (w.__left[id] = performance.timeOrigin + performance.now())
          ch.port2.postMessage(null)
        })
    shown = now
  }).observe(list, { childList: true, subtree: true })
}

/** In Alice's page: the wall-clock time of each `e` keydown and the row it acted on. */
function watchPresses(): void {
  const w = window as unknown as { __presses: { row: string; at: number }[] }
  w.__presses = []
  window.addEventListener(
    'keydown',
    (ev) => {
      if (ev.key !== 'e') return
      const row = document
        .getElementById('conversation-list')
        ?.getAttribute('aria-activedescendant')
      if (row) w.__presses.push({ row, at: performance.timeOrigin + ev.timeStamp })
    },
    true,
  )
}

const leftAt = (page: Page, row: string) =>
  page.evaluate(
    (id) => (window as unknown as { __left: Record<string, number> }).__left[id] ?? null,
    row,
  )

export async function measureTeammateDone(
  browser: Browser,
  conversations: number,
  presses: number,
  log: (...args: unknown[]) => void,
): Promise<TeammateRow> {
  const port = await freePort()
  const server = startInboxServer(conversations, port, false, true)
  const contexts = await Promise.all(
    [0, 1].map(() => browser.newContext({ baseURL: `http://127.0.0.1:${port}` })),
  )
  try {
    for (const c of contexts) await c.addInitScript({ content: 'globalThis.__name = (f) => f' })
    const seeded = await server.ready
    const [alice, bob] = await Promise.all(contexts.map((c) => c.newPage()))
    await signInAndSync(alice!, 'pn-big', seeded.stateBytes, 'alice')
    await signInAndSync(bob!, 'pn-big', seeded.stateBytes, 'bob')
    await bob!.evaluate(watchRowsLeaving)
    await alice!.evaluate(watchPresses)
    await alice!.getByRole('listbox', { name: 'Conversations' }).focus()
    await alice!.waitForTimeout(500)
    const row: TeammateRow = { conversations, leftBob: [], missed: 0 }
    for (let i = 0; i < presses; i++) {
      await alice!.keyboard.press('e')
      const press = await waitFor(
        'the press',
        async () =>
          (await alice!.evaluate(
            (n) => (window as unknown as { __presses: { row: string; at: number }[] }).__presses[n],
            i,
          )) ?? null,
        5_000,
      )
      try {
        const left = await waitFor('the row leaving Bob', () => leftAt(bob!, press.row), 10_000)
        row.leftBob.push(left - press.at)
      } catch {
        row.missed++
      }
      await alice!.waitForTimeout(150)
    }
    log(
      'browser',
      conversations,
      'teammate E → left Bob',
      row.leftBob.map((x) => x.toFixed(0)),
    )
    return row
  } finally {
    for (const c of contexts) await c.close().catch(() => {})
    await server.stop()
  }
}

/** Runs workload 6c in its own Chromium (the web app built by the browser workload). */
export async function runTeammate(
  settings: { conversations: number; presses: number },
  log: (...args: unknown[]) => void,
): Promise<TeammateRow> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'],
  })
  try {
    return await measureTeammateDone(browser, settings.conversations, settings.presses, log)
  } finally {
    await browser.close()
  }
}

export function teammateSection(r: TeammateRow): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—')
  return [
    "## 6c. Browser: Alice's E to the row leaving Bob's list (two browsers)",
    '',
    `Two Chromium contexts signed in as Alice and Bob to one inbox of ${r.conversations.toLocaleString('en')} conversations, online through the relay (SQLite, auth). From Alice's keydown to the first frame Bob's page paints without the row (both pages' wall clocks, one machine), 150 ms between presses. Aim: p99 ≤ 50 ms.`,
    '',
    '| presses | p50 ms | p95 ms | p99 ms | max ms | missed |',
    '|--:|--:|--:|--:|--:|--:|',
    `| ${r.leftBob.length} | ${f(median(r.leftBob))} | ${f(quantile(r.leftBob, 0.95))} | ${f(quantile(r.leftBob, 0.99))} | ${f(Math.max(...r.leftBob))} | ${r.missed} |`,
    '',
  ]
}
