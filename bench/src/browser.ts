/**
 * @module Workload 6: Chromium (Playwright) opening an inbox of 10,000 and 100,000 conversations
 * from IndexedDB, and pressing `E`.
 *
 * The relay holds the big room (servers/switchboard-inbox.ts). A fresh browser profile signs in,
 * opens the inbox, lets it sync and waits until the web app's own IndexedDB store holds the room.
 * Then the browser goes offline (`context.setOffline`) and the page is reloaded from the service
 * worker's shell: whatever the list paints can only come from IndexedDB. Timed from navigation
 * start to the app's `switchboard:list-painted` mark, set after the first frame with rows is
 * painted. The floor is a raw IndexedDB read of the same stored updates in the same page.
 * `E` is timed in the page from the keydown's timestamp to the painted frame that shows the next
 * conversation selected (and, separately, to the frame without the done row), still offline.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import {
  doneTimings,
  idbExists,
  instrumentDone,
  markTime,
  readIdb,
  type IdbRead,
  type KeyTiming,
} from './browser-page.ts'
import { measureBulkDone } from './browser-bulk.ts'
import { freePort, repoRoot } from './target.ts'
import { median } from './stats.ts'

const here = dirname(fileURLToPath(import.meta.url))
const PASSWORD = 'bench-browser-password'
const MEMBER = 'alice'
const LIST_PAINTED = 'switchboard:list-painted'
const INBOX_LOADED = 'switchboard:inbox-loaded'

export interface BrowserProfile {
  scales: number[]
  /** Scales measured again with the room as the relay serves it after an epoch (docs/bounded-documents.md §3). */
  epochScales?: number[]
  reloads: number
  presses: number
  /** A bulk Done of `count` picked rows, then its undo, `runs` times (browser-bulk.ts). */
  bulk?: { count: number; runs: number }
}

export interface BrowserRow {
  conversations: number
  /** The room went through the relay's epoch before the browser signed in. */
  epoch?: boolean
  /** Conversations in the Open tab (the list that is painted). */
  open: number
  stateBytes: number
  stored: IdbRead
  /** Sign-in to the room synced and stored in IndexedDB (cold join through the relay). */
  syncMs: number
  /** Navigation start → first frame with rows painted, offline, per reload. */
  firstPaintMs: number[]
  /** Navigation start → the whole replica loaded and its list shown (when the app marks it). */
  loadedMs: number[]
  /** Raw IndexedDB read of the stored updates in the same page (the floor). */
  idbReadMs: number[]
  doneNext: number[]
  doneSettle: number[]
  /** Presses whose next conversation or settled list never painted within 10 s. */
  missed: number
  /** Bulk Done of `bulkCount` rows: click → painted without them, and Ctrl+Z → painted back. */
  bulkCount?: number
  bulkDone?: number[]
  bulkUndo?: number[]
}

export function startInboxServer(
  conversations: number,
  port: number,
  epoch: boolean,
  teammate = false,
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-browser-'))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--max-old-space-size=4096', join(here, 'servers', 'switchboard-inbox.ts')],
    {
      cwd: join(here, '..'),
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        WEB_DIR: join(repoRoot, 'apps', 'web', 'build'),
        PASSWORD,
        CONVERSATIONS: String(conversations),
        EPOCH: epoch ? '1' : '0',
        TEAMMATE: teammate ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let log = ''
  const ready = new Promise<{
    url: string
    open: number
    stateBytes: number
    /** The contacts room's size when `CONTACT_NAMES` named contacts (0: none). */
    contactsBytes: number
    seedMs: number
  }>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      log += c.toString()
      const line = log.split('\n').find((l) => l.startsWith('ready '))
      if (line) resolve(JSON.parse(line.slice(6)))
    })
    child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-10_000)))
    child.once('exit', (code) => reject(new Error(`inbox server exited with ${code}:\n${log}`)))
  })
  const stop = () =>
    new Promise<void>((resolve) => {
      child.removeAllListeners('exit')
      const done = () => {
        rmSync(dataDir, { recursive: true, force: true })
        resolve()
      }
      if (child.exitCode !== null) return done()
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000)
      child.once('exit', () => {
        clearTimeout(kill)
        done()
      })
      child.kill('SIGTERM')
    })
  return { ready, stop }
}

/** With `CONTACT_NAMES` set: waits until the app's IndexedDB holds the named contacts too. */
export async function storeContacts(page: Page, contactsBytes: number, member = MEMBER) {
  if (contactsBytes <= 0) return
  const db = `switchboard:${member}:contacts`
  let last = -1
  await waitFor(
    'the contacts room in IndexedDB',
    async () => {
      if (!(await page.evaluate(idbExists, db))) return null
      const read = await page.evaluate(readIdb, db)
      const stable = read.bytes === last && read.bytes >= contactsBytes * 0.9
      last = read.bytes
      return stable ? read : null
    },
    120_000,
  )
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== null) return v
    if (Date.now() > deadline) throw new Error(`browser: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Signs in, opens the inbox and waits until the room is synced and stored in IndexedDB. */
export async function signInAndSync(
  page: Page,
  phoneNumberId: string,
  stateBytes: number,
  member = MEMBER,
) {
  await page.goto('/')
  await page.getByLabel('Email').fill(`${member}@example.com`)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Phone numbers' }).waitFor({ timeout: 60_000 })
  await page.goto(`/inbox/${phoneNumberId}`)
  await page
    .getByRole('listbox', { name: 'Conversations' })
    .getByRole('option')
    .first()
    .waitFor({ timeout: 300_000 })
  // Offline reloads need the service worker to control the page.
  await waitFor(
    'the service worker',
    () =>
      page.evaluate(async () => {
        await navigator.serviceWorker.ready
        return navigator.serviceWorker.controller ? true : null
      }),
    60_000,
  )
  const db = `switchboard:${member}:inbox:${phoneNumberId}`
  // Stored once the stored bytes cover the relay's state and stop growing.
  let last = -1
  return waitFor(
    'the room in IndexedDB',
    async () => {
      if (!(await page.evaluate(idbExists, db))) return null
      const read = await page.evaluate(readIdb, db)
      const stable = read.bytes === last && read.bytes >= stateBytes * 0.9
      last = read.bytes
      return stable ? read : null
    },
    300_000,
  )
}

async function measureScale(
  browser: Browser,
  conversations: number,
  profile: BrowserProfile,
  log: (...args: unknown[]) => void,
  epoch = false,
): Promise<BrowserRow> {
  const port = await freePort()
  const server = startInboxServer(conversations, port, epoch)
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` })
  // tsx (esbuild keepNames) wraps the page functions' inner functions in __name(); define it.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
  try {
    const seeded = await server.ready
    log('browser', conversations, 'seeded', `${(seeded.stateBytes / 2 ** 20).toFixed(1)} MiB`)
    const page = await context.newPage()
    const phoneNumberId = 'pn-big'
    const t0 = performance.now()
    const stored = await signInAndSync(page, phoneNumberId, seeded.stateBytes)
    await storeContacts(page, seeded.contactsBytes)
    const syncMs = performance.now() - t0
    log('browser', conversations, 'synced and stored', `${syncMs.toFixed(0)} ms`, stored)
    // The app keeps the first rows it showed (written 500 ms after a change): let it.
    await page.waitForTimeout(1_000)
    await context.setOffline(true)
    const db = `switchboard:${MEMBER}:inbox:${phoneNumberId}`
    const row: BrowserRow = {
      conversations,
      epoch,
      open: seeded.open,
      stateBytes: seeded.stateBytes,
      stored,
      syncMs,
      firstPaintMs: [],
      loadedMs: [],
      idbReadMs: [],
      doneNext: [],
      doneSettle: [],
      missed: 0,
    }
    // BENCH_BROWSER_PROF=<dir> writes a CPU profile of the first offline reload there.
    const profDir = process.env.BENCH_BROWSER_PROF
    for (let i = 0; i < profile.reloads; i++) {
      const cdp = profDir && i === 0 ? await context.newCDPSession(page) : null
      if (cdp) {
        await cdp.send('Profiler.enable')
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
        await cdp.send('Profiler.start')
      }
      await page.reload({ waitUntil: 'commit' })
      const painted = await waitFor(
        'the first painted rows',
        () => page.evaluate(markTime, LIST_PAINTED),
        120_000,
      )
      row.firstPaintMs.push(painted)
      // Some app versions mark the whole replica loaded separately (a cached first window).
      const loaded = await waitFor(
        'the loaded inbox',
        async () =>
          (await page.evaluate(markTime, INBOX_LOADED)) ??
          ((await page.evaluate(() => document.querySelector('[role=option]') !== null))
            ? -1
            : null),
        120_000,
      )
      if (loaded >= 0) row.loadedMs.push(loaded)
      if (cdp) {
        const { profile: cpu } = await cdp.send('Profiler.stop')
        mkdirSync(profDir!, { recursive: true })
        writeFileSync(join(profDir!, `reload-${conversations}.cpuprofile`), JSON.stringify(cpu))
        await cdp.detach()
      }
      await page.waitForTimeout(300)
      row.idbReadMs.push((await page.evaluate(readIdb, db)).ms)
      log(
        'browser',
        conversations,
        'reload',
        i,
        `painted ${painted.toFixed(0)} ms`,
        loaded >= 0 ? `loaded ${loaded.toFixed(0)} ms` : '',
        `idb read ${row.idbReadMs.at(-1)!.toFixed(0)} ms`,
      )
    }
    await page.evaluate(instrumentDone)
    const list = page.getByRole('listbox', { name: 'Conversations' })
    await list.focus()
    await page.waitForTimeout(500)
    for (let i = 0; i < profile.presses; i++) {
      await page.keyboard.press('e')
      let timing: KeyTiming | undefined
      try {
        timing = await waitFor(
          'E to paint',
          async () => {
            const t = (await page.evaluate(doneTimings))[i]
            return t && t.next !== null && t.settle !== null ? t : null
          },
          10_000,
        )
      } catch {
        row.missed++
      }
      if (timing) {
        row.doneNext.push(timing.next!)
        row.doneSettle.push(timing.settle!)
      }
      // A pause between presses, as a person triaging quickly would leave.
      await page.waitForTimeout(150)
    }
    log(
      'browser',
      conversations,
      `E next p50 ${median(row.doneNext).toFixed(1)} ms`,
      `settle p50 ${median(row.doneSettle).toFixed(1)} ms`,
      row.missed ? `missed ${row.missed}` : '',
    )
    if (profile.bulk && seeded.open >= profile.bulk.count) {
      const timings = await measureBulkDone(page, profile.bulk.count, profile.bulk.runs)
      row.bulkCount = profile.bulk.count
      row.bulkDone = timings.map((t) => t.done ?? NaN)
      row.bulkUndo = timings.map((t) => t.undo ?? NaN)
      log(
        'browser',
        conversations,
        `bulk Done ${row.bulkCount}`,
        row.bulkDone,
        'undo',
        row.bulkUndo,
      )
    }
    return row
  } finally {
    await context.close().catch(() => {})
    await server.stop()
  }
}

export async function runBrowser(
  profile: BrowserProfile,
  log: (...args: unknown[]) => void,
): Promise<{ rows: BrowserRow[]; errors: string[] }> {
  const rows: BrowserRow[] = []
  const errors: string[] = []
  try {
    if (process.env.BENCH_SKIP_WEB_BUILD !== '1') {
      const t0 = performance.now()
      execFileSync('pnpm', ['--filter', '@switchboard/web', 'build'], {
        cwd: repoRoot,
        stdio: 'ignore',
      })
      log('browser', `web app built in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    }
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    try {
      const runs = [
        ...profile.scales.map((n) => [n, false] as const),
        ...(profile.epochScales ?? []).map((n) => [n, true] as const),
      ]
      for (const [n, epoch] of runs) {
        const what = epoch ? `${n} after an epoch` : n
        try {
          rows.push(await measureScale(browser, n, profile, log, epoch))
        } catch (err) {
          errors.push(`browser ${what}: ${(err as Error).message.slice(0, 300)}`)
          log('browser', what, 'failed', (err as Error).message.slice(0, 300))
        }
      }
    } finally {
      await browser.close()
    }
  } catch (err) {
    errors.push(`browser: ${(err as Error).message.slice(0, 300)}`)
  }
  return { rows, errors }
}

/** `tsx src/browser.ts [scales…]`: run workload 6 alone and print the rows. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scales = process.argv.slice(2).map(Number)
  const { rows, errors } = await runBrowser(
    {
      scales: scales.length ? scales : [10_000],
      // BENCH_BROWSER_RELOADS=0 BENCH_BROWSER_PRESSES=0: the bulk part alone.
      reloads: Number(process.env.BENCH_BROWSER_RELOADS ?? 3),
      presses: Number(process.env.BENCH_BROWSER_PRESSES ?? 20),
      bulk: { count: 1_000, runs: Number(process.env.BENCH_BULK_RUNS ?? 3) },
    },
    (...a) => console.log(`[browser ${new Date().toISOString().slice(11, 19)}]`, ...a),
  )
  console.log(JSON.stringify({ rows, errors }))
}
