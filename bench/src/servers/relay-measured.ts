/**
 * @module The relay's own entry (`main()`, configured by the environment) with a way to read its
 * memory from outside: on the IPC message `memory` it collects garbage and answers
 * `process.memoryUsage()` (T8, bench/src/idle-sockets.ts). Needs `--expose-gc`.
 */
import { main } from '@switchboard/relay/node'

process.on('message', async (m) => {
  if (m !== 'memory') return
  // Several passes with a pause: sockets closed or opened just before leave work to finalizers.
  for (let i = 0; i < 4; i++) {
    global.gc!()
    await new Promise((r) => setTimeout(r, 50))
  }
  process.send!(process.memoryUsage())
})
await main()
