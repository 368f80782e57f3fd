/**
 * @module Loads an encoded inbox room from a file, in a process of its own, as a replica opening
 * it would: parse + first inbox view + unread count, median of 3. `bounded.ts` builds rooms of
 * hundreds of MB; timed in that process, the collector walks its whole heap on every load.
 * Usage: `node --expose-gc --import tsx src/load-room.ts <file>` → `{"loadMs":…,"unread":…}`.
 */
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { listConversations, unreadCount } from '@switchboard/core'

const encoded = readFileSync(process.argv[2]!)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const times: number[] = []
let unread = 0
for (let i = 0; i < 3; i++) {
  gc()
  const t0 = performance.now()
  const doc = new Y.Doc()
  Y.applyUpdate(doc, encoded)
  listConversations(doc, { view: 'inbox' })
  unread = unreadCount(doc)
  times.push(performance.now() - t0)
  doc.destroy()
}
times.sort((a, b) => a - b)
console.log(JSON.stringify({ loadMs: times[1], unread }))
