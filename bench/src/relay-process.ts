/**
 * @module The Switchboard relay as a process on a data directory the bench keeps, so it can be
 * stopped (SIGTERM or SIGKILL) and started again on the same store (workloads 2 and 8). Same
 * environment as servers.ts: SQLite durable storage, auth on, the demo workspace on first start.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Protocol } from './wire.ts'
import { repoRoot, ServerKind, type Target } from './target.ts'

const DEMO_PASSWORD = 'bench-demo-password'
export const WEBHOOK_SECRET = 'bench-webhook-secret'
export const BENCH_PHONE_NUMBER = 'pn-bench'

export interface RelayProcess {
  pid: number
  base: string
  /** When the process answered /healthz (Date.now()). */
  healthyAt: number
  /** Sends the signal; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** The last 10,000 characters of its log and stderr (warnings and errors). */
  output(): string
  /** Its memory after garbage collection (only when started with `SpawnOptions.measured`). */
  memory?(): Promise<NodeJS.MemoryUsage>
  /** Writes a heap snapshot after garbage collection (only with `SpawnOptions.measured`). */
  snapshot?(path: string): Promise<void>
}

export interface SpawnOptions {
  /**
   * Run the relay under servers/relay-measured.ts (`--expose-gc`, an IPC channel): `memory()`
   * then collects garbage in the relay and answers its `process.memoryUsage()` (T8).
   */
  measured?: boolean
}

const MEASURED = join(repoRoot, 'bench', 'src', 'servers', 'relay-measured.ts')

/**
 * The Node flags the checkout's relay is started with: those of its package.json `start` when it
 * runs `node <flags> --import tsx src/main.ts`, so each checkout's relay runs as its operators run it.
 */
export function relayNodeFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', 'relay', 'package.json'), 'utf8')) as {
    scripts?: { start?: string }
  }
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/)
  if (words[0] !== 'node') return []
  const end = words.indexOf('--import')
  return words.slice(1, end < 0 ? undefined : end).filter((w) => w.startsWith('--'))
}

/**
 * `env` adds to (or overrides) the relay's environment, e.g. its epoch thresholds; `root` is the
 * checkout whose relay runs (another one for a before/after comparison).
 */
export async function spawnRelay(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
  root: string = repoRoot,
  options: SpawnOptions = {},
): Promise<RelayProcess> {
  const base = `http://127.0.0.1:${port}`
  const flags = process.env.BENCH_RELAY_FLAGS?.split(' ').filter(Boolean) ?? []
  const child: ChildProcess = spawn(
    process.execPath,
    // BENCH_RELAY_FLAGS after the checkout's own: a V8 flag given twice takes the later value.
    [
      ...relayNodeFlags(root),
      ...flags,
      ...(options.measured ? ['--expose-gc'] : []),
      '--import',
      'tsx',
      options.measured ? MEASURED : 'src/main.ts',
    ],
    {
      cwd: join(root, 'packages', 'relay'),
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SWITCHBOARD_SECRET: 'bench-secret-bench-secret-bench-secret',
        WEBHOOK_SECRET,
        SWITCHBOARD_DEMO_PASSWORD: DEMO_PASSWORD,
        DEMO: '1',
        LOG_LEVEL: 'warn',
        // Every benchmark client signs in as one member: thousands of its sockets are the load.
        MAX_SOCKETS_PER_MEMBER: '0',
        ...env,
      },
      // Its log (JSON lines on stdout, warnings and up) kept with stderr for `output()`.
      stdio: ['ignore', 'pipe', 'pipe', ...(options.measured ? ['ipc' as const] : [])],
    },
  )
  let log = ''
  const keep = (c: Buffer) => {
    log = (log + c.toString()).slice(-10_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${log}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`relay did not answer /healthz:\n${log}`)
    }
    try {
      if ((await fetch(`${base}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    pid: child.pid!,
    base,
    healthyAt: Date.now(),
    output: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.kill(signal)
        await exited
        clearTimeout(kill)
      }
    },
    ...(options.measured
      ? {
          memory: () =>
            new Promise<NodeJS.MemoryUsage>((resolve) => {
              child.once('message', (m) => resolve(m as NodeJS.MemoryUsage))
              child.send('memory')
            }),
          snapshot: (path: string) =>
            new Promise<void>((resolve) => {
              child.once('message', () => resolve())
              child.send({ snapshot: path })
            }),
        }
      : {}),
  }
}

/** Logs in as a demo member, the owner by default (retrying while the demo seed is still running). */
export async function login(
  base: string,
  email = 'alice@example.com',
): Promise<{ token: string; memberId: string }> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const res = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: DEMO_PASSWORD }),
    })
    if (res.ok) {
      const { token, member } = (await res.json()) as { token: string; member: { id: string } }
      return { token, memberId: member.id }
    }
    if (Date.now() > deadline) throw new Error(`login failed: ${res.status} ${await res.text()}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** A phone number of its own for the big room, shared with the demo owner (admin API). */
export async function createBenchNumber(base: string, token: string): Promise<string> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<Record<string, unknown>>
  }
  await post('/api/admin/phone-numbers', {
    name: 'Bench',
    number: '+1 555 000 1000',
    id: BENCH_PHONE_NUMBER,
  })
  const { member } = (await (await fetch(`${base}/api/me`, { headers })).json()) as {
    member: { id: string }
  }
  await post('/api/admin/access', { memberId: member.id, phoneNumberId: BENCH_PHONE_NUMBER })
  return BENCH_PHONE_NUMBER
}

export function switchboardTarget(port: number, token: string, memberId: string): Target {
  const doc = `inbox:${BENCH_PHONE_NUMBER}`
  return {
    kind: ServerKind.Switchboard,
    protocol: Protocol.Y,
    url: `ws://127.0.0.1:${port}/sync/${encodeURIComponent(doc)}?token=${encodeURIComponent(token)}`,
    doc,
    token,
    memberId,
    syncs: true,
    acks: false,
  }
}
