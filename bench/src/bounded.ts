/**
 * @module Bounded documents (docs/bounded-documents.md): what an epoch does to a grown inbox
 * room. Prints figures, asserts nothing. `tsx src/bounded.ts` (quick, scaled down) or
 * `tsx src/bounded.ts --full` (100,000 conversations, 1,000,000 marks, 50,000 writer ids).
 *
 * 1. Growth: N conversations, M marks from 50 devices, then `compactInbox` — stored bytes and
 *    load time of the grown room, of the epoch, and of the same live state built fresh.
 * 2. Writer churn: a room whose history held W writer ids; marks/s applied as the relay applies
 *    them (one update per mark) and as a client writes them, before and after the epoch.
 * 3. Up-to-date reconnect: the relay's sync step 1 (its state vector) and a plain y-protocols
 *    step 2 answer for a client that already has everything, before and after.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import {
  compactInbox,
  createHlc,
  forEachMark,
  inboxRoots,
  markConversation,
  type Author,
} from '@switchboard/core'
import { applyRate, churned, inboxWith, KINDS, rng } from './churn-history.ts'

const here = dirname(fileURLToPath(import.meta.url))
const full = process.argv.includes('--full')
const P = full
  ? { conversations: 100_000, marks: 1_000_000, devices: 50, writers: 50_000 }
  : process.argv.includes('--tiny')
    ? { conversations: 2_000, marks: 20_000, devices: 50, writers: 2_000 }
    : process.argv.includes('--small')
      ? { conversations: 5_000, marks: 50_000, devices: 50, writers: 5_000 }
      : { conversations: 20_000, marks: 200_000, devices: 50, writers: 20_000 }
const out: Record<string, unknown> = { profile: full ? 'full' : 'quick', ...P }

const random = rng(7)

const started = performance.now()
const step = (what: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}`)
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`
const ms = (n: number) => `${n.toFixed(0)} ms`

/** Lane entries of a document, wherever stored (an epoch keeps them in its base). */
function countMarks(doc: Y.Doc) {
  let n = 0
  forEachMark(doc, () => n++)
  return n
}

/** Median load time (parse + first inbox view) of an encoded room, ms, in a fresh process. */
function load(encoded: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bounded-'))
  try {
    const file = join(dir, 'room.bin')
    writeFileSync(file, encoded)
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(here, 'load-room.ts'), file],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    )
    const { loadMs, unread } = JSON.parse(out.trim().split('\n').at(-1)!) as {
      loadMs: number
      unread: number
    }
    return { bytes: encoded.byteLength, loadMs, unread }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------- 1. growth

function growth() {
  const doc = inboxWith(P.conversations)
  step('growth: conversations ingested')
  const relayId = doc.clientID
  const authors: { author: Author; clientID: number }[] = []
  for (let d = 0; d < P.devices; d++) {
    const deviceId = `device${d}`
    authors.push({
      author: { memberId: `m${d % 10}`, deviceId, clock: createHlc(deviceId) },
      clientID: 1_000_000 + d,
    })
  }
  const t0 = performance.now()
  // One transaction per mark, as replicas make them (BATCH > 1 would merge history items).
  const BATCH = 1
  for (let i = 0; i < P.marks; i += BATCH) {
    const pick = Math.floor(random() * P.devices)
    const { author, clientID } = authors[pick]!
    doc.clientID = clientID
    doc.transact(() => {
      for (let j = i; j < Math.min(P.marks, i + BATCH); j++) {
        // Each device works its share of conversations, overlapping with two neighbours.
        const c =
          (Math.floor(random() * (P.conversations / P.devices)) * P.devices +
            pick +
            Math.floor(random() * 3)) %
          P.conversations
        markConversation(doc, `c${c}`, KINDS[Math.floor(random() * KINDS.length)]!, author)
      }
    })
  }
  out.batch = BATCH
  doc.clientID = relayId
  const buildMs = performance.now() - t0
  step('growth: marks made')
  const grown = Y.encodeStateAsUpdate(doc)
  const history = inboxRoots.history(doc).toArray()

  // The same live state built fresh (bench workload 5's definition): records + current marks.
  const fresh = new Y.Doc()
  fresh.transact(() => {
    const conv = inboxRoots.conversations(fresh)
    inboxRoots.conversations(doc).forEach((v, k) => conv.set(k, v))
    const m = inboxRoots.marks(fresh)
    inboxRoots.marks(doc).forEach((v, k) => m.set(k, v))
  })
  const freshBytes = Y.encodeStateAsUpdate(fresh)
  fresh.destroy()

  // The epoch, all history before the horizon (archived): only live state stays.
  const t1 = performance.now()
  const epoch = compactInbox(doc, { epoch: 'e1', historySince: Date.now() + 1, now: Date.now() })
  const compactMs = performance.now() - t1
  step('growth: compacted')
  const epochBytes = Y.encodeStateAsUpdate(epoch.doc)
  // A year of 1M marks with a 14-day history window in the room: the newest M·14/365 entries.
  const windowed = Math.round((history.length * 14) / 365)
  const cut = history
    .map((e) => e.at)
    .sort()
    .at(-windowed)!
  const withWindow = compactInbox(doc, {
    epoch: 'e1',
    historySince: Number(cut.slice(0, 15)),
    now: Date.now(),
  })
  const windowBytes = Y.encodeStateAsUpdate(withWindow.doc)

  step('growth: windowed epoch built')
  const g = {
    buildMs,
    compactMs,
    historyEntries: history.length,
    liveMarks: countMarks(epoch.doc),
    droppedMarks: epoch.droppedMarks,
    grown: load(grown),
    fresh: load(freshBytes),
    epoch: load(epochBytes),
    epochWith14DayHistory: { ...load(windowBytes), historyEntries: windowed },
  }
  out.growth = g
  console.log(
    `\n## 1. Growth: ${P.conversations} conversations, ${P.marks} marks, ${P.devices} devices`,
  )
  console.log(
    `built in ${ms(buildMs)} (${BATCH} marks per transaction); history entries ${history.length}`,
  )
  console.log(`grown room        ${mb(g.grown.bytes)}  load ${ms(g.grown.loadMs)}`)
  console.log(`fresh live state  ${mb(g.fresh.bytes)}  load ${ms(g.fresh.loadMs)}`)
  console.log(
    `epoch (history archived)  ${mb(g.epoch.bytes)}  load ${ms(g.epoch.loadMs)}  = ${(g.epoch.bytes / g.fresh.bytes).toFixed(3)}× fresh; compactInbox ${ms(compactMs)}; ${g.droppedMarks} losing lane entries dropped`,
  )
  console.log(
    `epoch + 14-day history (${windowed} entries)  ${mb(g.epochWith14DayHistory.bytes)}  load ${ms(g.epochWith14DayHistory.loadMs)}  = ${(g.epochWith14DayHistory.bytes / g.fresh.bytes).toFixed(3)}× fresh`,
  )
  if (g.epoch.unread !== g.grown.unread) throw new Error('epoch changed the unread count')
  epoch.doc.destroy()
  withWindow.doc.destroy()
  return doc
}

// ---------------------------------------------------------------- 2. writer churn

function churn() {
  const room = churned(P.writers)
  step(`churn: room with ${P.writers} writer ids built`)
  const ids = room.store.clients.size
  const before = applyRate(room, 300)
  const t0 = performance.now()
  const epoch = compactInbox(room, { epoch: 'e1', historySince: 0, now: Date.now() })
  const compactMs = performance.now() - t0
  const afterIds = epoch.doc.store.clients.size
  const after = applyRate(epoch.doc, 5_000)
  out.churn = { writerIds: ids, before, compactMs, afterIds, after }
  console.log(`\n## 2. Writer churn: a room whose history held ${ids} writer ids`)
  console.log(
    `before the epoch: relay applies ${before.relayPerS} marks/s, a client writes ${before.clientPerS} marks/s (${before.marks} marks)`,
  )
  console.log(
    `epoch (${ms(compactMs)}) → ${afterIds} writer id(s): relay applies ${after.relayPerS} marks/s, a client writes ${after.clientPerS} marks/s (${after.marks} marks)`,
  )
  room.destroy()
  epoch.doc.destroy()
}

// ---------------------------------------------------------------- 3. up-to-date reconnect

/**
 * What an up-to-date client is sent on reconnect by plain y-protocols: the relay's step 1 (its
 * state vector) and a step 2 answer to the client's state vector (no structs, the whole delete
 * set). The Switchboard relay already answers step 2 with only missing deletions; step 1 it
 * cannot shrink — it grows with every writer id the room ever had, until an epoch.
 */
function reconnect(grown: Y.Doc) {
  const measure = (doc: Y.Doc) => {
    const sv = Y.encodeStateVector(doc)
    return { step1: sv.byteLength, step2: Y.encodeStateAsUpdate(doc, sv).byteLength }
  }
  const before = measure(grown)
  const epoch = compactInbox(grown, { epoch: 'e1', historySince: Date.now() + 1, now: Date.now() })
  // A day of work after the epoch: 2,000 marks by 20 devices (each their own reused id).
  const author = (d: number): Author => ({
    memberId: `m${d % 10}`,
    deviceId: `device${d}`,
    clock: createHlc(`device${d}`),
  })
  const authors = Array.from({ length: 20 }, (_, d) => author(d))
  const relayId = epoch.doc.clientID
  for (let i = 0; i < 2_000; i++) {
    const d = i % 20
    epoch.doc.clientID = 2_000_000 + d
    markConversation(epoch.doc, `c${Math.floor(random() * 1000)}`, KINDS[i % 4]!, authors[d]!)
  }
  epoch.doc.clientID = relayId
  const after = measure(epoch.doc)
  const churnRoom = churned(P.writers)
  step(`churn: room with ${P.writers} writer ids built`)
  const churnBefore = measure(churnRoom)
  const churnEpoch = compactInbox(churnRoom, { epoch: 'e1', historySince: 0, now: Date.now() })
  const churnAfter = measure(churnEpoch.doc)
  out.reconnect = {
    grown: before,
    epochPlusDay: after,
    churned: churnBefore,
    churnedEpoch: churnAfter,
  }
  console.log(`\n## 3. Up-to-date reconnect (bytes the relay sends with plain y-protocols)`)
  console.log(`grown room: step 1 ${before.step1} B, step 2 ${before.step2} B`)
  console.log(`epoch + 2,000 marks since: step 1 ${after.step1} B, step 2 ${after.step2} B`)
  console.log(
    `${P.writers} writer ids: step 1 ${churnBefore.step1} B, step 2 ${churnBefore.step2} B`,
  )
  console.log(`after its epoch: step 1 ${churnAfter.step1} B, step 2 ${churnAfter.step2} B`)
  churnRoom.destroy()
  churnEpoch.doc.destroy()
  epoch.doc.destroy()
}

const grown = growth()
reconnect(grown)
grown.destroy()
churn()
console.log('\n' + JSON.stringify(out))
