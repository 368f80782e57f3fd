/**
 * @module Which index for the replica's search: core's hand-written `TextIndex` against MiniSearch
 * and FlexSearch on the same 100,000-conversation corpus (search-corpus.ts), in one Node process:
 * build time, heap, query time over the typed prefixes of realistic queries, and the cost of
 * replacing a conversation's document (what each incoming message does). Each engine answers the
 * same question: the 50 best conversations whose name, number or message text match every word
 * by prefix. `tsx --expose-gc src/search-engines.ts [conversations] [downloaded] [per]`.
 */
import { Index as FlexIndex } from 'flexsearch'
import MiniSearch from 'minisearch'
import { TextIndex, type SearchDoc } from '@switchboard/core'
import { fileURLToPath } from 'node:url'
import { quantile } from './browser-report.ts'
import { corpus, queries, type Corpus } from './search-corpus.ts'

interface Engine {
  name: string
  build(c: Corpus): void
  /** The best 50 conversation ids. */
  query(q: string): string[]
  /** Replace conversation i's summary with a new last message. */
  update(c: Corpus, i: number, preview: string): void
}

const suffixes = (number: string) => {
  const d = number.replace(/\D/g, '')
  const out: string[] = []
  for (let i = 0; i + 3 <= d.length; i++) out.push(d.slice(i))
  return out
}

function hand(): Engine {
  const index = new TextIndex()
  const summary = (c: Corpus['conversations'][number], preview = c.preview): SearchDoc => ({
    key: `c\u001f${c.id}`,
    group: c.id,
    at: c.at,
    fields: [
      { text: c.name, weight: 7 },
      { text: c.number, weight: 6, kind: 'number' },
      { text: preview, weight: 2 },
    ],
  })
  return {
    name: 'hand-written (core TextIndex)',
    build(c) {
      for (const conv of c.conversations) index.set(summary(conv))
      for (const m of c.messages)
        index.set({
          key: `m\u001f${m.id}`,
          group: m.conversationId,
          at: m.at,
          fields: [{ text: m.body, weight: 3 }],
        })
      index.prepare()
    },
    query: (q) => index.search(q, 50).map((h) => h.group),
    update(c, i, preview) {
      index.set(summary(c.conversations[i]!, preview))
    },
  }
}

interface MiniDoc {
  id: string
  group: string
  name?: string
  number?: string
  text: string
}

function mini(): Engine {
  const ms = new MiniSearch<MiniDoc>({
    fields: ['name', 'number', 'text'],
    storeFields: ['group'],
    tokenize: (text, field) =>
      field === 'number' ? suffixes(text) : text.split(/[^\p{L}\p{N}]+/u).filter(Boolean),
    processTerm: (t) =>
      t
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase(),
    searchOptions: { prefix: true, combineWith: 'AND', boost: { name: 3.5, number: 3, text: 1 } },
  })
  const summary = (c: Corpus['conversations'][number], preview = c.preview): MiniDoc => ({
    id: `c\u001f${c.id}`,
    group: c.id,
    name: c.name,
    number: c.number,
    text: preview,
  })
  return {
    name: 'MiniSearch 7.2.0',
    build(c) {
      ms.addAll(c.conversations.map((conv) => summary(conv)))
      ms.addAll(
        c.messages.map((m) => ({ id: `m\u001f${m.id}`, group: m.conversationId, text: m.body })),
      )
    },
    query(q) {
      const out: string[] = []
      const seen = new Set<string>()
      for (const r of ms.search(q)) {
        const g = r.group as string
        if (seen.has(g)) continue
        seen.add(g)
        out.push(g)
        if (out.length === 50) break
      }
      return out
    },
    update(c, i, preview) {
      ms.replace(summary(c.conversations[i]!, preview))
    },
  }
}

function flex(): Engine {
  const opts = { tokenize: 'forward', encoder: 'Normalize' } as const
  const name = new FlexIndex(opts)
  const number = new FlexIndex({ ...opts, encoder: 'Exact' })
  const text = new FlexIndex(opts)
  // Numeric ids (FlexSearch's fast path): conversation i is i, message k is N + k.
  let groups: string[] = []
  let n = 0
  return {
    name: 'FlexSearch 0.8.212',
    build(c) {
      n = c.conversations.length
      groups = c.conversations.map((conv) => conv.id)
      c.conversations.forEach((conv, i) => {
        name.add(i, conv.name)
        number.add(i, suffixes(conv.number).join(' '))
        text.add(i, conv.preview)
      })
      c.messages.forEach((m, k) => {
        groups[n + k] = m.conversationId
        text.add(n + k, m.body)
      })
    },
    query(q) {
      const out: string[] = []
      const seen = new Set<string>()
      for (const index of [name, number, text])
        for (const id of index.search(q, { limit: 200 }) as number[]) {
          const g = groups[id]!
          if (seen.has(g)) continue
          seen.add(g)
          out.push(g)
          if (out.length === 50) return out
        }
      return out
    },
    update(c, i, preview) {
      text.update(i, preview)
    },
  }
}

export interface EngineRow {
  engine: string
  buildMs: number
  heapMiB: number
  /** Per query: p50 / p95 over its typed prefixes (2+ characters), ms. */
  queries: { label: string; p50: number; p95: number; hits: number }[]
  /** Every timed keystroke of every query. */
  allP95: number
  updateUs: number
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()

export function measureEngines(size: [number, number, number], reps = 5): EngineRow[] {
  const c = corpus(...size)
  const rows: EngineRow[] = []
  for (const make of [hand, mini, flex]) {
    gc()
    const heap0 = process.memoryUsage().heapUsed
    const engine = make()
    const t0 = performance.now()
    engine.build(c)
    const buildMs = performance.now() - t0
    gc()
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20
    const all: number[] = []
    const perQuery: EngineRow['queries'] = []
    for (const { label, query } of queries(c.vocabulary)) {
      const times: number[] = []
      let hits = 0
      for (let r = 0; r < reps; r++)
        for (let len = 2; len <= query.length; len++) {
          const q = query.slice(0, len)
          const s = performance.now()
          const res = engine.query(q)
          times.push(performance.now() - s)
          if (len === query.length) hits = res.length
        }
      all.push(...times)
      perQuery.push({ label, p50: quantile(times, 0.5), p95: quantile(times, 0.95), hits })
    }
    const u0 = performance.now()
    for (let i = 0; i < 1_000; i++) engine.update(c, i * 7, `new message ${i} about the delivery`)
    const updateUs = ((performance.now() - u0) / 1_000) * 1_000
    rows.push({
      engine: engine.name,
      buildMs,
      heapMiB,
      queries: perQuery,
      allP95: quantile(all, 0.95),
      updateUs,
    })
    console.error(JSON.stringify(rows.at(-1)))
  }
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [a, b, d] = process.argv.slice(2).map(Number)
  const rows = measureEngines([a || 100_000, b ?? 1_000, d ?? 20])
  console.log(JSON.stringify(rows, null, 1))
}
