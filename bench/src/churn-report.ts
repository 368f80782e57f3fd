/** @module Workload 7's section of bench/results/latest.md and its chart (churn.svg). */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { ChurnResults } from './churn.ts'

const n = (x: number) => Math.round(x).toLocaleString('en')

export function churnSection(c: ChurnResults): string[] {
  const lines = [
    '## 7. Writer churn (marks/s on a room whose history holds N writer ids)',
    '',
    "The room's history is grown through the relay (one mark per writer id, stored and acked); then a new device that synced the room makes the marks. " +
      'Relay: those updates over its `ack=1` socket (validation, apply, SQLite, ack) until the last ack. ' +
      'Plain Yjs: the same updates applied one by one with `Y.applyUpdate` to a Y.Doc of the same room with an `update` listener — the path of @y/websocket-server and Hocuspocus, and what a replica pays per teammate mark. ' +
      'Client: the device making them (core `markConversation`).',
    '',
    '| writer ids in history | ids in the document | marks | relay marks/s | relay ack p50 / p99 ms | plain Yjs apply marks/s | client write marks/s | relay / plain Yjs |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const x of [...c.points, c.afterEpoch]) {
    const label = x === c.afterEpoch ? `${n(x.writers)}, after the relay's epoch` : n(x.writers)
    lines.push(
      `| ${label} | ${n(x.docIds)} | ${x.marks} | ${n(x.relayPerS)} | ${x.relayAckP50.toFixed(1)} / ${x.relayAckP99.toFixed(1)} | ${n(x.plainYjsPerS)} | ${n(x.clientPerS)} | ${(x.relayPerS / x.plainYjsPerS).toFixed(2)}× |`,
    )
  }
  lines.push('')
  lines.push(
    `Seeding the history took ${(c.seedMs / 1000).toFixed(1)} s; the epoch (POST /api/admin/rooms/:room/epoch) ${n(c.epochMs)} ms. Target: ≥ 2,000 marks/s at 50,000 writer ids.`,
  )
  lines.push('')
  return lines
}

export async function churnChart(c: ChurnResults, dir: string): Promise<void> {
  const values = c.points.flatMap((x) => [
    { writers: x.writers, path: 'relay (acked)', perS: x.relayPerS },
    { writers: x.writers, path: 'plain Yjs apply (peer servers)', perS: x.plainYjsPerS },
    { writers: x.writers, path: 'client write', perS: x.clientPerS },
  ])
  values.push({
    writers: c.afterEpoch.writers,
    path: "relay after the room's epoch",
    perS: c.afterEpoch.relayPerS,
  })
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    title: "marks/s by writer ids in the room's history (target: 2,000 at 50,000)",
    width: 360,
    height: 200,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'writers', type: 'quantitative', scale: { type: 'log' }, title: 'writer ids' },
      y: { field: 'perS', type: 'quantitative', scale: { type: 'log' }, title: 'marks/s (log)' },
      color: { field: 'path', type: 'nominal', title: null },
    },
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  writeFileSync(join(dir, 'churn.svg'), await view.toSVG())
  view.finalize()
}
