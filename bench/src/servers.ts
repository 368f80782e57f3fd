/**
 * @module Starts each server under test in its own process on a loopback port, and for Switchboard
 * logs in as a demo member (durable SQLite storage on, auth on, as users run it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { startTestPostgres } from '@switchboard/relay/testing'
import { WEBHOOK_SECRET, login, spawnRelay } from './relay-process.ts'
import { baselineRoot, freePort, repoRoot, ServerKind, type RunningServer } from './target.ts'
import { Protocol } from './wire.ts'

const here = dirname(fileURLToPath(import.meta.url))

function startProcess(
  script: string,
  env: Record<string, string>,
  ready: (line: string) => boolean,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: join(here, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${log}`)), 60_000)
    const onData = (chunk: Buffer) => {
      log += chunk.toString()
      if (log.length > 20_000) log = log.slice(-10_000)
      if (log.split('\n').some(ready)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString()
      if (log.length > 20_000) log = log.slice(-10_000)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code}:\n${log}`))
    })
  })
}

function stopper(child: ChildProcess, cleanup?: () => void) {
  return () =>
    new Promise<void>((resolve) => {
      child.removeAllListeners('exit')
      if (child.exitCode !== null) {
        cleanup?.()
        return resolve()
      }
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000)
      child.once('exit', () => {
        clearTimeout(kill)
        cleanup?.()
        resolve()
      })
      child.kill('SIGTERM')
    })
}

/** `env(base)` adds to a Switchboard relay's environment, given its base URL (e.g. `PUBLIC_URL`). */
export async function startServer(
  kind: ServerKind,
  env: (base: string) => Record<string, string> = () => ({}),
): Promise<RunningServer> {
  const port = await freePort()
  if (kind === ServerKind.Switchboard) return startSwitchboard(port, kind, repoRoot, env)
  if (kind === ServerKind.SwitchboardPostgres) {
    const cluster = await startTestPostgres()
    try {
      const url = await cluster.createDatabase()
      const server = await startSwitchboard(port, kind, repoRoot, (base) => ({
        ...env(base),
        DATABASE_URL: url,
        RELAY_ID: 'bench',
      }))
      const stop = server.stop
      return { ...server, stop: () => stop().finally(() => cluster.destroy()) }
    } catch (error) {
      await cluster.destroy()
      throw error
    }
  }
  if (kind === ServerKind.SwitchboardTwoRelays) return startTwoRelays(port, env, repoRoot, kind)
  if (kind === ServerKind.BaselineTwoRelays) {
    if (!baselineRoot) throw new Error('BENCH_BASELINE_ROOT is not set')
    return startTwoRelays(port, env, baselineRoot, kind)
  }
  if (kind === ServerKind.Baseline) {
    if (!baselineRoot) throw new Error('BENCH_BASELINE_ROOT is not set')
    return startSwitchboard(port, kind, baselineRoot, env)
  }
  const script = {
    [ServerKind.Floor]: 'floor.ts',
    [ServerKind.YWebsocket]: 'y-websocket.ts',
    [ServerKind.Hocuspocus]: 'hocuspocus.ts',
  }[kind]
  const child = await startProcess(join(here, 'servers', script), { PORT: String(port) }, (l) =>
    l.startsWith('ready'),
  )
  const doc = 'inbox:bench'
  return {
    kind,
    pid: child.pid!,
    target: () => ({
      kind,
      protocol: kind === ServerKind.Hocuspocus ? Protocol.Hocus : Protocol.Y,
      url:
        kind === ServerKind.Hocuspocus ? `ws://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/${doc}`,
      doc,
      token: 'bench',
      memberId: 'bench-member',
      syncs: kind !== ServerKind.Floor,
      acks: false,
    }),
    stop: stopper(child),
  }
}

/** Conversations the load writers mark (`c0`…): the relay refuses marks for others [M8]. */
export const BENCH_CONVERSATIONS = 500

/** One incoming message per conversation `<prefix>0`…`<prefix><n-1>`, through the signed webhook. */
export async function seedConversations(
  base: string,
  phoneNumberId: string,
  n: number,
  prefix = 'c',
): Promise<void> {
  const at = Date.now() - 60_000
  const activities = Array.from({ length: n }, (_, i) => ({
    id: `bench-seed-${prefix}${i}`,
    conversationId: `${prefix}${i}`,
    phoneNumberId,
    direction: 'incoming',
    kind: 'message',
    from: `+1555${String(1_000_000 + i)}`,
    to: '+14155550100',
    body: 'bench',
    at: at + i,
  }))
  const raw = JSON.stringify(activities)
  const signature = createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')
  const res = await fetch(`${base}/api/webhooks/activity`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-switchboard-signature': `sha256=${signature}`,
    },
    body: raw,
  })
  if (res.status !== 202)
    throw new Error(`seeding conversations: ${res.status} ${await res.text()}`)
}

/** Opens the room once and leaves: the relay keeps it loaded while it is in use or briefly idle. */
export function loadRoom(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('error', reject)
    ws.once('message', () => {
      ws.close()
      resolve()
    })
  })
}

async function startSwitchboard(
  port: number,
  kind: ServerKind,
  root: string,
  env: (base: string) => Record<string, string> = () => ({}),
): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'))
  const extra = env(`http://127.0.0.1:${port}`)
  let relay = await spawnRelay(dataDir, port, extra, root)
  const base = relay.base
  const deadline = Date.now() + 60_000
  const { token, memberId } = await login(base)
  let me: { phoneNumbers: { id: string }[] }
  do {
    me = (await (
      await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as typeof me
    if (me.phoneNumbers.length === 0) await new Promise((r) => setTimeout(r, 250))
  } while (me.phoneNumbers.length === 0 && Date.now() < deadline)
  const phoneNumberId = me.phoneNumbers[0]?.id
  if (!phoneNumberId) throw new Error('the demo member has no phone number')
  await seedConversations(base, phoneNumberId, BENCH_CONVERSATIONS)
  // Started again on its store, as users find it: a room that ingested in this process keeps
  // core's inbox index, which every later mark then pays for (bench/README).
  await relay.stop()
  relay = await spawnRelay(dataDir, port, extra, root)
  const doc = `inbox:${phoneNumberId}`
  // The room loaded before the workloads measure (a user's app has it open): the fan-out's
  // memory per connection must not count the room itself.
  await loadRoom(
    `ws://127.0.0.1:${port}/sync/${encodeURIComponent(doc)}?token=${encodeURIComponent(token)}`,
  )
  return {
    kind,
    pid: relay.pid,
    base,
    target: (options = {}) => ({
      kind,
      protocol: Protocol.Y,
      url: `ws://127.0.0.1:${port}/sync/${encodeURIComponent(doc)}?token=${encodeURIComponent(token)}${options.ack ? '&ack=1' : ''}`,
      doc,
      token,
      memberId,
      syncs: true,
      acks: !!options.ack,
    }),
    async stop() {
      await relay.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Two relays on one throwaway PostgreSQL: the first seeds and loads the room (its owner), the
 * second serves the same room through the relay link; clients alternate between them (T1).
 */
async function startTwoRelays(
  port: number,
  env: (base: string) => Record<string, string>,
  root: string,
  kind: ServerKind,
): Promise<RunningServer> {
  const cluster = await startTestPostgres()
  const edgeDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-edge-'))
  const cleanup = () =>
    cluster.destroy().finally(() => rmSync(edgeDir, { recursive: true, force: true }))
  try {
    const DATABASE_URL = await cluster.createDatabase()
    const owner = await startSwitchboard(port, kind, root, (base) => ({
      ...env(base),
      DATABASE_URL,
      RELAY_ID: 'bench-owner',
      RELAY_INTERNAL_URL: base,
    }))
    const edgePort = await freePort()
    const edgeBase = `http://127.0.0.1:${edgePort}`
    const edge = await spawnRelay(
      edgeDir,
      edgePort,
      {
        ...env(edgeBase),
        DATABASE_URL,
        RELAY_ID: 'bench-edge',
        RELAY_INTERNAL_URL: edgeBase,
      },
      root,
    ).catch(async (error: unknown) => {
      await owner.stop()
      throw error
    })
    return {
      ...owner,
      peer: { base: edgeBase, pid: edge.pid },
      database: DATABASE_URL,
      target: (options) => {
        const t = owner.target(options)
        return { ...t, peerUrl: t.url.replace(`:${port}/`, `:${edgePort}/`) }
      },
      stop: () => edge.stop().then(owner.stop).finally(cleanup),
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
