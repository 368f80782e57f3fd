// Starts the real relay (which serves the built web app) as a child process on a free port with
// a fresh DATA_DIR; can SIGKILL and restart it on the same port and data.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const DEMO_PASSWORD = 'demo-password'
export const WEBHOOK_SECRET = 'e2e-webhook-secret'

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (!address || typeof address === 'string') return reject(new Error('no port'))
      server.close(() => resolvePort(address.port))
    })
  })
}

export interface RelayProcess {
  url: string
  port: number
  dataDir: string
  logs: string[]
  kill(signal?: NodeJS.Signals): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
  webhook(activities: unknown): Promise<Response>
}

/**
 * `env`: extra relay settings, e.g. `{ HISTORY_HORIZON_MS: '0' }`, or a function of the relay's
 * own URL for settings that name it (`PUBLIC_URL`).
 */
export async function startRelay(
  env: Record<string, string> | ((url: string) => Record<string, string>) = {},
  chosenPort?: number,
): Promise<RelayProcess> {
  const port = chosenPort ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'))
  const url = `http://127.0.0.1:${port}`
  const extra = typeof env === 'function' ? env(url) : env
  const logs: string[] = []
  let child: ChildProcess | null = null

  const launch = async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(repoRoot, 'packages/relay'),
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        WEB_DIR: join(repoRoot, 'apps/web/build'),
        SWITCHBOARD_DEMO_PASSWORD: DEMO_PASSWORD,
        WEBHOOK_SECRET,
        SWITCHBOARD_SECRET: 'e2e-signing-secret-that-is-long-enough',
        ALLOWED_ORIGINS: url,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (d) => logs.push(String(d)))
    child.stderr?.on('data', (d) => logs.push(String(d)))
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`relay exited early:\n${logs.join('')}`)
      try {
        const res = await fetch(`${url}/healthz`)
        if (res.ok) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`relay did not become healthy:\n${logs.join('')}`)
  }

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((done) => {
      proc.once('exit', () => done())
      proc.kill(signal)
    })
  }

  await launch()
  return {
    url,
    port,
    dataDir,
    logs,
    kill,
    restart: launch,
    async stop() {
      await kill('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    },
    webhook(activities: unknown) {
      const body = JSON.stringify(activities)
      const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')
      return fetch(`${url}/api/webhooks/activity`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-switchboard-signature': `sha256=${signature}`,
        },
        body,
      })
    },
  }
}

/** A throwaway PostgreSQL database (the relay's own test cluster, run as a process). */
export interface Postgres {
  url: string
  stop(): Promise<void>
}

export async function startPostgres(): Promise<Postgres> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/testing/postgres-process.ts'], {
    cwd: join(repoRoot, 'packages/relay'),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start:\n${out}`)), 60_000)
    const onData = (d: Buffer) => {
      out += String(d)
      const line = out.split('\n').find((l) => l.startsWith('{"url"'))
      if (line) {
        clearTimeout(timer)
        resolveUrl((JSON.parse(line) as { url: string }).url)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (d: Buffer) => (out += String(d)))
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited with ${code}:\n${out}`)))
  })
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once('exit', () => done())
        child.stdin.end()
      }),
  }
}
