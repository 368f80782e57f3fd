/**
 * @module Starting the store's programs, which are TypeScript files like the rest of the relay:
 * each goes through `ts-program.mjs`, so it runs the same under tsx (the relay, its CLI) and
 * vitest, whose loaders a new thread or process does not inherit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

const bootstrap = fileURLToPath(new URL('./ts-program.mjs', import.meta.url))

/** Runs `program` on a thread of its own; it reads `data` as its `workerData`. */
export function startThread(program: URL, data: object): Worker {
  return new Worker(bootstrap, {
    workerData: { ...data, program: fileURLToPath(program) },
    // The parent's flags (tsx's ESM loader among them) mean nothing on a thread.
    execArgv: [],
  })
}

/** Runs `program` in a Node process of its own; it reads `args` from `process.argv.slice(3)`. */
export function spawnProgram(program: URL, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [bootstrap, fileURLToPath(program), ...args], options)
}
