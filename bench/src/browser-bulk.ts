/// <reference lib="dom" />
/**
 * @module Workload 6, bulk: in the page workload 6 opened (offline), 1,000 rows are picked (the
 * first row's checkbox, then Shift+click on the 1,000th) and the bulk bar's "Mark as done" is
 * clicked; timed in the page from the click's timestamp to the painted frame without any of the
 * picked rows that were on screen. Then Ctrl+Z, timed to the frame where they are back: the
 * whole bulk step undone. `instrumentBulk` is serialized by Playwright: it uses nothing from
 * this module's scope.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'

export interface BulkTiming {
  /** Click on "Mark as done" → the frame without the picked rows has been painted. */
  done: number | null
  /** Ctrl+Z keydown → the frame with them back has been painted. */
  undo: number | null
}

/** Row height of the web app's list (ConversationList.svelte). */
const ROW_HEIGHT = 72

/** Listens for the bulk bar's "Mark as done" and for Ctrl+Z, and times each to its painted frame. */
export function instrumentBulk(): void {
  const w = window as unknown as { __bulkTimings: BulkTiming[] }
  w.__bulkTimings = []
  const afterPaint = (fn: () => void) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel()
      ch.port1.onmessage = () => fn()
      ch.port2.postMessage(null)
    })
  const list = () => document.getElementById('conversation-list')!
  let picked: string[] = []
  /** The list's length before the bulk Done (its rows' `aria-setsize`). */
  let sizeBefore: string | null = null
  const size = () => list().querySelector('[aria-setsize]')?.getAttribute('aria-setsize') ?? null
  /** Calls `then` after the frame in which `ready()` first holds has been painted. */
  const watch = (ready: () => boolean, then: () => void) => {
    const observer = new MutationObserver(() => {
      if (!ready()) return
      observer.disconnect()
      afterPaint(then)
    })
    observer.observe(list(), { childList: true, subtree: true, attributes: true })
  }
  window.addEventListener(
    'click',
    (ev) => {
      const button = (ev.target as Element | null)?.closest?.('button[aria-label="Mark as done"]')
      if (!button?.closest('[role=toolbar][aria-label="Bulk actions"]')) return
      // Capture phase: the bar's own handler has not cleared the selection yet.
      picked = Array.from(list().querySelectorAll('.row.checked'), (r) =>
        r.getAttribute('data-id')!,
      )
      sizeBefore = size()
      const t0 = ev.timeStamp
      const timing: BulkTiming = { done: null, undo: null }
      w.__bulkTimings.push(timing)
      const gone = () => picked.every((id) => !document.querySelector(`[data-id="${id}"]`))
      watch(gone, () => (timing.done = performance.now() - t0))
    },
    true,
  )
  window.addEventListener(
    'keydown',
    (ev) => {
      if (!(ev.key === 'z' && (ev.ctrlKey || ev.metaKey))) return
      const timing = w.__bulkTimings.at(-1)
      if (!timing || timing.undo !== null) return
      const t0 = ev.timeStamp
      // The list may scroll on undo (to the highlighted row), away from the picked rows that
      // were on screen: the list's length back to what it was says the rows are back too.
      const back = () =>
        size() === sizeBefore || picked.some((id) => document.querySelector(`[data-id="${id}"]`))
      watch(back, () => (timing.undo = performance.now() - t0))
    },
    true,
  )
}

function bulkTimings(): BulkTiming[] {
  return (window as unknown as { __bulkTimings: BulkTiming[] }).__bulkTimings
}

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== null) return v
    if (Date.now() > deadline) throw new Error(`browser bulk: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * `runs` times: pick the first `count` rows of the Open list, mark them done from the bulk bar,
 * then undo with Ctrl+Z. Returns the timings (null where a frame never came).
 */
export async function measureBulkDone(
  page: Page,
  count: number,
  runs: number,
): Promise<BulkTiming[]> {
  await page.evaluate(instrumentBulk)
  // BENCH_BULK_PROF=<dir>: a CPU profile of the runs (sampled every 200 µs).
  const profDir = process.env.BENCH_BULK_PROF
  const cdp = profDir ? await page.context().newCDPSession(page) : null
  if (cdp) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
  }
  const list = page.getByRole('listbox', { name: 'Conversations' })
  const bar = page.getByRole('toolbar', { name: 'Bulk actions' })
  for (let i = 0; i < runs; i++) {
    await list.evaluate((el) => (el.scrollTop = 0))
    await page.locator('#conversation-list [aria-posinset="1"] [role=checkbox]').click()
    await list.evaluate((el, top) => (el.scrollTop = top), (count - 3) * ROW_HEIGHT)
    await page
      .locator(`#conversation-list [aria-posinset="${count}"]`)
      .click({ modifiers: ['Shift'], position: { x: 80, y: 20 } })
    await bar.getByText(`${count} selected`).waitFor()
    await page.waitForTimeout(300)
    await bar.getByRole('button', { name: 'Mark as done' }).click()
    await until('the bulk Done painted', async () => {
      const t = (await page.evaluate(bulkTimings))[i]
      return t?.done != null ? t : null
    })
    await page.waitForTimeout(300)
    await page.keyboard.press('Control+z')
    await until('its undo painted', async () => {
      const t = (await page.evaluate(bulkTimings))[i]
      return t?.undo != null ? t : null
    })
    await page.waitForTimeout(500)
  }
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop')
    mkdirSync(profDir!, { recursive: true })
    writeFileSync(join(profDir!, `bulk-${Date.now()}.cpuprofile`), JSON.stringify(profile))
    await cdp.detach()
  }
  return page.evaluate(bulkTimings)
}
