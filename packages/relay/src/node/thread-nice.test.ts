import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { main, type RelayServer } from '../main.ts'
import { threadId } from './thread-nice.ts'

/** The nice value of each thread of this process (field 19 of its stat, after the name). */
const niceOfThreads = (): Map<number, number> => {
  const out = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(Number(tid), Number(fields[16]))
  }
  return out
}

let srv: RelayServer | undefined
afterAll(() => srv?.close())

// A runner already niced past 12 leaves no room for +7 (19 is the ceiling).
describe.runIf(process.platform === 'linux' && getPriority() <= 12)(
  "WEBHOOK_NICE: the listener's thread yields",
  () => {
    it("runs the listener's thread at WEBHOOK_NICE, the main thread as before", async () => {
      const before = niceOfThreads()
      srv = await main({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'thread-nice-')),
        PORT: '0',
        WEBHOOK_PORT: '0',
        WEBHOOK_NICE: '7',
        DEMO: '0',
      })
      const after = niceOfThreads()
      const main0 = before.get(threadId()!)
      expect(after.get(threadId()!)).toBe(main0)
      const niced = [...after].filter(([tid, nice]) => !before.has(tid) && nice === main0! + 7)
      expect(niced).toHaveLength(1)
    })
  },
)
