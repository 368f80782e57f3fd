/**
 * @module The relay's own entry (`main()`, configured by the environment) with a way to read its
 * memory from outside (T8, bench/src/idle-sockets.ts; needs `--expose-gc`): on the IPC message
 * `memory` it collects garbage and answers `process.memoryUsage()`; on `{ snapshot: path }` it
 * collects garbage and writes a heap snapshot there (src/heap-diff.ts compares two).
 */
import { writeHeapSnapshot } from 'node:v8'
import { main } from '@switchboard/relay/node'

const collect = async () => {
  // Several passes with a pause: sockets closed or opened just before leave work to finalizers.
  for (let i = 0; i < 4; i++) {
    global.gc!()
    await new Promise((r) => setTimeout(r, 50))
  }
}

process.on('message', async (m: unknown) => {
  if (m === 'memory') {
    await collect()
    process.send!(process.memoryUsage())
  } else if (typeof m === 'object' && m !== null && 'snapshot' in m) {
    await collect()
    process.send!({ path: writeHeapSnapshot(String(m.snapshot)) })
  }
})
await main()
