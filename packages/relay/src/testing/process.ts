/**
 * @module The relay as operators run it, as a child process: `node --import tsx src/main.ts`
 * (or another entry), configured by the environment, for tests of the process itself (SIGKILL,
 * SIGTERM, restarts on the same DATA_DIR).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The relay package's directory (the child's working directory). */
export const RELAY_PACKAGE = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url))

export interface RelayProcess {
  child: ChildProcess
  url: string
  port: number
  /** Everything it printed so far, stdout and stderr. */
  output(): string
  exited: Promise<number | null>
}

export interface RelayProcessOptions {
  /** The entry to run (src/main.ts by default); it must log `"msg":"relay listening","url":…`. */
  script?: string
  /** Run through the `tsx` CLI (a wrapper process) instead of node with tsx as a loader. */
  viaTsxCli?: boolean
  /** Open an IPC channel to the child (`child.send`). */
  ipc?: boolean
  /** Called with the child as soon as it is spawned (to kill it after a test, even a failed start). */
  onSpawn?: (child: ChildProcess) => void
}

/**
 * Spawns the relay with `env` over the parent's environment (HOST 127.0.0.1 and PORT 0 unless
 * given) and resolves once it logs "relay listening"; rejects if it exits first. Without
 * `viaTsxCli`, SIGKILL hits the relay itself, not a wrapper.
 */
export function spawnRelayProcess(
  env: Record<string, string>,
  options: RelayProcessOptions = {},
): Promise<RelayProcess> {
  const script = options.script ?? MAIN
  const spawnOptions = {
    cwd: RELAY_PACKAGE,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])] as (
      'ignore' | 'pipe' | 'ipc'
    )[],
  }
  const child = options.viaTsxCli
    ? spawn(
        fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url)),
        [script],
        spawnOptions,
      )
    : spawn(process.execPath, ['--import', 'tsx', script], spawnOptions)
  options.onSpawn?.(child)
  let out = ''
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /"msg":"relay listening","url":"([^"]+)"/.exec(out)
      if (m) {
        const url = m[1]!
        resolve({ child, url, port: Number(new URL(url).port), output: () => out, exited })
      }
    })
    void exited.then((code) => reject(new Error(`relay exited with ${code}:\n${out.slice(-3000)}`)))
  })
}
