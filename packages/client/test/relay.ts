/**
 * Test support: the relay's harness (`@switchboard/relay/testing`, the production server setup)
 * on port 0 over a temporary DATA_DIR, in this process or as a child process that a test can
 * SIGKILL and restart on the same port.
 * Seeds alice (owner), bob (admin), carol (member) and one phone number `pn1`.
 */
import type { ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Relay } from '@switchboard/relay'
import {
  spawnRelayProcess,
  startTestRelayServer,
  type TestRelayServer,
  type TestWorkspace,
} from '@switchboard/relay/testing'
import type { Activity } from '@switchboard/core'

export const DEMO_PASSWORD = 'demo-password'
export const SECRET = 'test-secret-0123456789abcdef0123456789'
export const WEBHOOK_SECRET = 'test-webhook-secret'

export interface RelayTestOptions {
  tokenTtlSeconds?: number
  /** Absolute lifetime of a session (default 30 days). */
  sessionTtlSeconds?: number
  /** Audit history older than this leaves the room for the archive at an epoch (default 90 days). */
  historyHorizonMs?: number
  /** WebSocket ping interval (default 30 s); a socket without a pong by the next ping is dropped. */
  heartbeatMs?: number
}

export interface TestRelay {
  url: string
  /** In-process relays only: create members, grant and revoke access. */
  admin?: Relay['admin']
  /** In-process relays only: write a room's document as the relay does (e.g. a delivery). */
  writeRoom?: Relay['writeRoom']
  port: number
  dataDir: string
  ingest(activity: Activity): Promise<void>
  /** Child processes only: SIGSTOP, so sockets stay open and nothing is read or acknowledged. */
  pause?(): void
  /** SIGKILL (child process) or drop every socket without a goodbye (in process). */
  kill(): Promise<void>
  /** Start again on the same port and DATA_DIR. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** The client package's workspace: alice (owner), bob (admin), carol (member), all on `pn1`. */
export const WORKSPACE: TestWorkspace = {
  password: DEMO_PASSWORD,
  phoneNumbers: [{ id: 'pn1', name: 'Support', number: '+15550001' }],
  members: [
    { id: 'alice', name: 'Alice Martin', role: 'owner', phoneNumbers: ['pn1'] },
    { id: 'bob', name: 'Bob Nguyen', role: 'admin', phoneNumbers: ['pn1'] },
    { id: 'carol', name: 'Carol Diaz', role: 'member', phoneNumbers: ['pn1'] },
  ],
}

/** The relay's test harness (the production server setup) over SQLite in `dataDir`, seeded. */
export function serveRelay(
  dataDir: string,
  port = 0,
  options: RelayTestOptions = {},
): Promise<TestRelayServer> {
  return startTestRelayServer({
    dataDir,
    port,
    secret: SECRET,
    webhookSecret: WEBHOOK_SECRET,
    roomIdleMs: 500,
    ...options,
    workspace: WORKSPACE,
  })
}

/** The relay in this process: fast; `kill` terminates sockets and the store without a flush. */
export async function startRelay(options: RelayTestOptions = {}): Promise<TestRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-relay-'))
  let served = await serveRelay(dataDir, 0, options)
  const port = served.port
  return {
    url: `http://127.0.0.1:${port}`,
    get admin() {
      return served.relay.admin
    },
    get writeRoom() {
      return served.relay.writeRoom
    },
    port,
    dataDir,
    ingest: async (a) => void (await served.relay.ingest(a)),
    kill: () => served.close(),
    async restart() {
      served = await serveRelay(dataDir, port, options)
    },
    async stop() {
      await served.close().catch(() => {})
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

const script = fileURLToPath(new URL('./relay-process.ts', import.meta.url))

/** The relay as a child process (the harness's spawnRelayProcess), so a test can SIGKILL it. */
export async function startRelayProcess(): Promise<TestRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-relay-'))
  let child: ChildProcess
  const launch = async (port: number) => {
    const started = await spawnRelayProcess({ DATA_DIR: dataDir, PORT: String(port) }, { script })
    child = started.child
    return started.port
  }
  const port = await launch(0)
  const url = `http://127.0.0.1:${port}`
  const exited = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('exit', () => resolve())
    })
  return {
    url,
    port,
    dataDir,
    async ingest(activity) {
      const body = JSON.stringify(activity)
      const signature = 'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')
      const res = await fetch(url + '/api/webhooks/activity', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchboard-signature': signature },
        body,
      })
      if (res.status !== 202) throw new Error(`webhook: HTTP ${res.status} ${await res.text()}`)
    },
    pause() {
      child.kill('SIGSTOP')
    },
    async kill() {
      child.kill('SIGKILL')
      await exited()
    },
    async restart() {
      await launch(port)
    },
    async stop() {
      child.kill('SIGKILL')
      await exited()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
