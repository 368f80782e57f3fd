/**
 * @module Workload 6b: search across a 100,000-conversation replica in Chromium, offline.
 *
 * Workload 6's server seeds the inbox (servers/switchboard-inbox.ts); the browser signs in and
 * stores it. The conversations the person "opened before" are then written into the app's
 * IndexedDB as their rooms would be (y-indexeddb's layout, one database per conversation, the
 * messages of search-corpus.ts as core activities). Offline, the page is reloaded from the service
 * worker; the app indexes everything in idle time (`switchboard:search-indexed` mark). Then the
 * queries of search-corpus.ts are typed one key at a time; each keystroke is timed from the input
 * event's timestamp to the painted frame (rAF, then a message) showing the results, which
 * includes the list's own filter of the open tab and Svelte's render.
 */
import { appendActivity } from '@switchboard/core'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import * as Y from 'yjs'
import { markTime } from './browser-page.ts'
import { quantile } from './browser-report.ts'
import { signInAndSync, startInboxServer, storeContacts, waitFor } from './browser.ts'
import { corpus, queries, type CorpusMessage } from './search-corpus.ts'
import { freePort, repoRoot } from './target.ts'

const MEMBER = 'alice'
/** The inbox servers/switchboard-inbox.ts seeds (importing it would start its server). */
const PHONE = { id: 'pn-big', number: '+14155550111' }
const SEARCH_INDEXED = 'switchboard:search-indexed'

export interface SearchProfile {
  conversations: number
  /** Conversations held on the device (opened before), and messages in each. */
  downloaded: number
  perConversation: number
  rounds: number
}

export interface BrowserSearchRow {
  conversations: number
  downloaded: number
  messages: number
  /** Navigation start → the index holds the whole replica, offline reload. */
  indexedMs: number
  /** Per query: keystroke → results painted, p50 / p95 over its keystrokes and rounds. */
  queries: { label: string; query: string; p50: number; p95: number; results: number }[]
  p50: number
  p95: number
  max: number
  /** The slowest keystrokes: the text in the box after the key, and its time. */
  slowest: { typed: string; ms: number }[]
}

/** One conversation room's stored state, as the client would have written it. */
function roomUpdate(id: string, messages: CorpusMessage[]): string {
  const doc = new Y.Doc()
  for (const m of messages)
    appendActivity(doc, {
      id: m.id,
      conversationId: id,
      phoneNumberId: PHONE.id,
      direction: 'incoming',
      kind: 'message',
      from: '+14150000000',
      to: PHONE.number,
      body: m.body,
      at: m.at,
    })
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}

/** In the page: one IndexedDB database per room, y-indexeddb's stores, the update as one record. */
async function writeRooms(rooms: [string, string][]): Promise<void> {
  for (const [name, b64] of rooms) {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name)
      req.onupgradeneeded = () => {
        req.result.createObjectStore('updates', { autoIncrement: true })
        req.result.createObjectStore('custom')
      }
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['updates'], 'readwrite')
      tx.objectStore('updates').add(bytes)
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
    })
    db.close()
  }
}

/** In the page: times each `input` on the search box to the next painted frame. */
function instrumentSearch(): void {
  const w = window as unknown as { __searchTimings: number[] }
  w.__searchTimings = []
  window.addEventListener(
    'input',
    (ev) => {
      const target = ev.target as HTMLInputElement | null
      if (target?.type !== 'search') return
      const t0 = ev.timeStamp
      requestAnimationFrame(() => {
        const ch = new MessageChannel()
        ch.port1.onmessage = () => w.__searchTimings.push(performance.now() - t0)
        ch.port2.postMessage(null)
      })
    },
    true,
  )
}

function searchTimings(): number[] {
  return (window as unknown as { __searchTimings: number[] }).__searchTimings
}

async function typeQuery(page: Page, query: string): Promise<number[]> {
  const box = page.getByRole('searchbox', { name: 'Search conversations' })
  await box.fill('')
  await page.waitForTimeout(200)
  const before = (await page.evaluate(searchTimings)).length
  await box.focus()
  // A fast typist: ~8 keys a second.
  await page.keyboard.type(query, { delay: 120 })
  await page.waitForTimeout(300)
  return (await page.evaluate(searchTimings)).slice(before)
}

export async function runBrowserSearch(
  profile: SearchProfile,
  log: (...args: unknown[]) => void,
): Promise<BrowserSearchRow> {
  if (process.env.BENCH_SKIP_WEB_BUILD !== '1')
    execFileSync('pnpm', ['--filter', '@switchboard/web', 'build'], {
      cwd: repoRoot,
      stdio: 'ignore',
    })
  const c = corpus(profile.conversations, profile.downloaded, profile.perConversation)
  const port = await freePort()
  const server = startInboxServer(profile.conversations, port, true)
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'],
  })
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` })
  await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
  try {
    const seeded = await server.ready
    const page = await context.newPage()
    await signInAndSync(page, PHONE.id, seeded.stateBytes)
    await storeContacts(page, seeded.contactsBytes)
    log('search', profile.conversations, 'synced')
    const byConversation = new Map<string, CorpusMessage[]>()
    for (const m of c.messages) {
      let list = byConversation.get(m.conversationId)
      if (!list) byConversation.set(m.conversationId, (list = []))
      list.push(m)
    }
    const rooms = [...byConversation].map(
      ([id, messages]) =>
        [`switchboard:${MEMBER}:conversation:${id}`, roomUpdate(id, messages)] as [string, string],
    )
    for (let i = 0; i < rooms.length; i += 100)
      await page.evaluate(writeRooms, rooms.slice(i, i + 100))
    log('search', 'stored', rooms.length, 'conversation rooms')
    await context.setOffline(true)
    await page.reload({ waitUntil: 'commit' })
    const indexedMs = await waitFor(
      'the search index',
      // The reload may still be replacing the page's context: ask again.
      () => page.evaluate(markTime, SEARCH_INDEXED).catch(() => null),
      300_000,
    )
    log('search', `indexed ${indexedMs.toFixed(0)} ms after navigation`)
    if (seeded.contactsBytes > 0)
      log(
        'search',
        'rows named by the team',
        await page.getByRole('option').filter({ hasText: '(team)' }).count(),
      )
    await page.evaluate(instrumentSearch)
    const row: BrowserSearchRow = {
      conversations: profile.conversations,
      downloaded: rooms.length,
      messages: c.messages.length,
      indexedMs,
      queries: [],
      p50: 0,
      p95: 0,
      max: 0,
      slowest: [],
    }
    // BENCH_SEARCH_TRACE=<dir> writes a Chrome performance trace of the typing there (layout,
    // style and paint included, which a CPU profile lumps together as "(program)").
    const traceDir = process.env.BENCH_SEARCH_TRACE
    if (traceDir) {
      mkdirSync(traceDir, { recursive: true })
      await browser.startTracing(page, {
        path: join(traceDir, 'search-trace.json'),
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'],
      })
    }
    // BENCH_SEARCH_PROF=<dir> writes a CPU profile of the typing there.
    const profDir = process.env.BENCH_SEARCH_PROF
    const cdp = profDir ? await context.newCDPSession(page) : null
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
      await cdp.send('Profiler.start')
    }
    const all: number[] = []
    const keys: { typed: string; ms: number }[] = []
    for (const { label, query } of queries(c.vocabulary)) {
      const times: number[] = []
      for (let r = 0; r < profile.rounds; r++) {
        const round = await typeQuery(page, query)
        round.forEach((ms, i) => keys.push({ typed: query.slice(0, i + 1), ms }))
        times.push(...round)
      }
      const results = await page
        .getByRole('listbox', { name: 'Search results' })
        .getByRole('option')
        .count()
      all.push(...times)
      row.queries.push({
        label,
        query,
        p50: quantile(times, 0.5),
        p95: quantile(times, 0.95),
        results,
      })
      log('search', label, JSON.stringify(row.queries.at(-1)))
    }
    if (traceDir) await browser.stopTracing()
    if (cdp) {
      const { profile: cpu } = await cdp.send('Profiler.stop')
      mkdirSync(profDir!, { recursive: true })
      writeFileSync(join(profDir!, 'search.cpuprofile'), JSON.stringify(cpu))
    }
    row.p50 = quantile(all, 0.5)
    row.p95 = quantile(all, 0.95)
    row.max = Math.max(...all)
    row.slowest = keys
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((k) => ({ typed: k.typed, ms: Math.round(k.ms * 10) / 10 }))
    return row
  } finally {
    await context.close().catch(() => {})
    await browser.close().catch(() => {})
    await server.stop()
  }
}

/** `tsx src/browser-search.ts [conversations] [downloaded] [per conversation]`. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [n, d, per] = process.argv.slice(2).map(Number)
  const row = await runBrowserSearch(
    { conversations: n || 100_000, downloaded: d ?? 1_000, perConversation: per ?? 20, rounds: 3 },
    (...a) => console.log(`[search ${new Date().toISOString().slice(11, 19)}]`, ...a),
  )
  console.log(JSON.stringify(row))
}
