// Starts one of the store's TypeScript programs (a thread, or the snapshot builder process)
// through tsx's require hook, which works in threads as well as processes on Node 20 and costs
// no loader thread: the program is named by workerData.program, or by the first argument.
import { createRequire } from 'node:module'
import { isMainThread, workerData } from 'node:worker_threads'
import { register } from 'tsx/cjs/api'

register()
const load = createRequire(import.meta.url)
load(isMainThread ? process.argv[2] : workerData.program)
