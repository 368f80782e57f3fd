/**
 * What grew between two heap snapshots, by object kind (T8: what an idle socket's memory is):
 * counts and self sizes per constructor (or V8 node type for non-objects), after minus before,
 * the largest first, also divided by the sockets opened between them.
 *
 *   node --import tsx src/heap-diff.ts before.heapsnapshot after.heapsnapshot [sockets] [rows]
 */
import { readFileSync } from 'node:fs'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}

/** Count and self size per kind: `type:name` for objects and closures, the type otherwise. */
function kinds(path: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
  const fields = s.snapshot.meta.node_fields
  const width = fields.length
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const types = s.snapshot.meta.node_types[0]
  const out = new Map<string, { count: number; bytes: number }>()
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt!]!]!
    const named = type === 'object' || type === 'closure' || type === 'native'
    const key = named ? `${type}:${s.strings[s.nodes[i + nameAt!]!]}` : type
    const k = out.get(key) ?? { count: 0, bytes: 0 }
    k.count++
    k.bytes += s.nodes[i + sizeAt!]!
    out.set(key, k)
  }
  return out
}

const [before, after, sockets = '1', rows = '25'] = process.argv.slice(2)
if (!before || !after)
  throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [sockets] [rows]')
const a = kinds(before)
const b = kinds(after)
const n = Number(sockets)
const diff = [...b].map(([key, x]) => {
  const y = a.get(key) ?? { count: 0, bytes: 0 }
  return { key, count: x.count - y.count, bytes: x.bytes - y.bytes }
})
diff.sort((x, y) => y.bytes - x.bytes)
const total = diff.reduce((t, d) => t + d.bytes, 0)
console.log(`grew ${(total / n).toFixed(0)} B per socket over ${n} sockets`)
console.log('| kind | objects per socket | bytes per socket |')
console.log('|---|--:|--:|')
for (const d of diff.slice(0, Number(rows)))
  console.log(
    `| ${d.key.slice(0, 60)} | ${(d.count / n).toFixed(2)} | ${(d.bytes / n).toFixed(0)} |`,
  )
