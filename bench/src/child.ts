/** @module A load generator or measurement in its own process, driven by request/response over IPC. */
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

type Reply = { ok: true; value: unknown } | { ok: false; error: string }

export interface Child {
  pid: number
  call<T>(msg: unknown, timeoutMs?: number): Promise<T>
  kill(): void
  /** Asks the process to close (so exit hooks such as --cpu-prof run), then kills it. */
  stop(): Promise<void>
}

export async function startChild(script: string, flags: string[] = []): Promise<Child> {
  const proc: ChildProcess = fork(join(here, script), [], {
    execArgv: [
      '--import',
      'tsx',
      '--max-old-space-size=4096',
      ...flags,
      // e.g. BENCH_LOAD_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the load processes.
      ...(process.env.BENCH_LOAD_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const replies: ((r: Reply) => void)[] = []
  const waitReply = () => new Promise<Reply>((resolve) => replies.push(resolve))
  proc.on('message', (r: Reply) => replies.shift()?.(r))
  proc.on('exit', (code) => {
    for (const r of replies.splice(0)) r({ ok: false, error: `${script} exited with ${code}` })
  })
  const first = await waitReply()
  if (!first.ok) throw new Error(first.error)
  return {
    pid: proc.pid!,
    async call<T>(msg: unknown, timeoutMs = 180_000) {
      const reply = waitReply()
      proc.send(msg as object)
      let timer: NodeJS.Timeout | undefined
      const r = await Promise.race([
        reply,
        new Promise<Reply>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, error: `${script}: timed out` }), timeoutMs)
        }),
      ])
      clearTimeout(timer)
      if (!r.ok) throw new Error(r.error)
      return r.value as T
    },
    kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL')
    },
    async stop() {
      if (proc.exitCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.send({ cmd: 'close' })
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      if (proc.exitCode === null) proc.kill('SIGKILL')
    },
  }
}
