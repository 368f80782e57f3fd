/**
 * @module Workload 2, cold join of a big inbox: the same N-conversation room (built through core)
 * on every server; C clients with nothing join at once; time until all are synced, bytes per
 * client, server peak RSS during the join. Switchboard loads the room cold from its durable
 * store (seeded through the relay's storage API, then started afresh for every point); the peers
 * get it through a socket that stays open (they keep rooms in memory only).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BigRoom } from './bigroom.ts'
import { startChild, type Child } from './child.ts'
import {
  BENCH_PHONE_NUMBER,
  createBenchNumber,
  login,
  spawnRelay,
  switchboardTarget,
} from './relay-process.ts'
import { startServer } from './servers.ts'
import { freePort, ServerKind, type Target } from './target.ts'
import { Protocol } from './wire.ts'

export const COLD_JOIN_FLOOR = 'ws floor (one cached step 2)'

/** BENCH_SERVERS=switchboard,ws floor narrows a run to some servers (as for the fan-out). */
export const wanted = (name: string) =>
  !process.env.BENCH_SERVERS || process.env.BENCH_SERVERS.split(',').some((w) => name.startsWith(w))
import { rssOf } from './stats.ts'

export interface ColdJoinProfile {
  conversations: number
  clients: number[]
  timeoutMs: number
}

export interface ColdJoinRow {
  server: string
  conversations: number
  roomBytes: number
  clients: number
  synced: number
  /** Sockets closed before the end (by the server; some after syncing). */
  closedEarly: number
  /** Of those, closed before their step 2 arrived: they never synced. */
  closedUnsynced?: number
  closeCodes?: Record<string, number>
  allSyncedMs: number
  /** When the last client that did sync synced (= allSyncedMs when all did). */
  lastSyncedMs?: number
  medianSyncedMs: number
  firstSyncedMs: number
  bytesPerClient: number
  minStep2Bytes: number
  /** Conversations in what the first client received (all of them, or the point is void). */
  conversationsSeen: number
  rssBeforeMiB: number
  peakRssMiB: number
}

type JoinResult = Omit<
  ColdJoinRow,
  'server' | 'conversations' | 'roomBytes' | 'rssBeforeMiB' | 'peakRssMiB' | 'conversationsSeen'
> & { conversations: number }

type Log = (...args: unknown[]) => void

/** Samples a process's RSS every 25 ms until stopped; resolves with the peak in MiB. */
export function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0
  let running = true
  const loop = (async () => {
    while (running) {
      try {
        peak = Math.max(peak, await rssOf(pid))
      } catch {
        return
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return peak / 2 ** 20
    },
  }
}

/** Builds the room once per run: a file of the encoded update, shared by every server. */
export async function buildBigRoom(conversations: number, dir: string): Promise<BigRoom> {
  const builder = await startChild('bigroom.ts')
  try {
    return await builder.call<BigRoom>(
      {
        cmd: 'build',
        conversations,
        phoneNumberId: BENCH_PHONE_NUMBER,
        file: join(dir, `room-${conversations}.bin`),
      },
      600_000,
    )
  } finally {
    builder.kill()
  }
}

/** A data directory holding the room in the relay's store, with the demo workspace around it. */
export async function seedSwitchboardDir(
  room: BigRoom,
): Promise<{ dataDir: string; token: string; memberId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bigroom-'))
  const relay = await spawnRelay(dataDir, await freePort())
  let auth
  try {
    auth = await login(relay.base)
    await createBenchNumber(relay.base, auth.token)
  } finally {
    await relay.stop('SIGTERM')
  }
  const seeder = await startChild('bigroom.ts')
  try {
    await seeder.call(
      {
        cmd: 'seed-switchboard',
        file: room.file,
        dataDir,
        phoneNumberId: BENCH_PHONE_NUMBER,
      },
      600_000,
    )
  } finally {
    seeder.kill()
  }
  return { dataDir, ...auth }
}

/** The cold-join floor server (servers/coldjoin-floor.ts) on the room file. */
async function startFloor(file: string) {
  const port = await freePort()
  const here = dirname(fileURLToPath(import.meta.url))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'servers', 'coldjoin-floor.ts')],
    {
      cwd: join(here, '..'),
      env: { ...process.env, PORT: String(port), ROOM_FILE: file },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve())
    child.once('exit', (code) => reject(new Error(`cold-join floor exited with ${code}`)))
  })
  const target: Target = {
    kind: ServerKind.Floor,
    protocol: Protocol.Y,
    url: `ws://127.0.0.1:${port}/room`,
    doc: 'room',
    token: '',
    memberId: '',
    syncs: true,
    acks: false,
  }
  return {
    pid: child.pid!,
    target,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit')
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  }
}

async function measure(
  load: Child,
  target: Target,
  pid: number,
  clients: number,
  timeoutMs: number,
): Promise<JoinResult & { rssBeforeMiB: number; peakRssMiB: number }> {
  const rssBeforeMiB = (await rssOf(pid)) / 2 ** 20
  const sampler = sampleRss(pid)
  try {
    const r = await load.call<JoinResult>(
      { cmd: 'join', target, clients, timeoutMs },
      timeoutMs + 120_000,
    )
    return { ...r, rssBeforeMiB, peakRssMiB: await sampler.stop() }
  } finally {
    await sampler.stop()
  }
}

export async function coldjoin(
  profile: ColdJoinProfile,
  log: Log,
): Promise<{ rows: ColdJoinRow[]; errors: string[] }> {
  const rows: ColdJoinRow[] = []
  const errors: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'bench-coldjoin-'))
  try {
    const room = await buildBigRoom(profile.conversations, dir)
    log('coldjoin: room built', room.conversations, 'conversations', room.bytes, 'bytes')
    const row = (server: string, r: Awaited<ReturnType<typeof measure>>): ColdJoinRow => {
      const { conversations: seen, ...rest } = r
      const out = {
        server,
        conversations: room.conversations,
        roomBytes: room.bytes,
        ...rest,
        conversationsSeen: seen,
      }
      log('coldjoin', server, r.clients, JSON.stringify(rest))
      return out
    }
    // Switchboard: every point starts the relay afresh on the seeded store (a cold load).
    if (wanted(ServerKind.Switchboard))
      try {
        const seeded = await seedSwitchboardDir(room)
        try {
          for (const clients of profile.clients) {
            const port = await freePort()
            const relay = await spawnRelay(seeded.dataDir, port)
            const load = await startChild('load/coldjoin.ts')
            try {
              const target = switchboardTarget(port, seeded.token, seeded.memberId)
              rows.push(
                row(
                  ServerKind.Switchboard,
                  await measure(load, target, relay.pid, clients, profile.timeoutMs),
                ),
              )
            } finally {
              load.kill()
              await relay.stop('SIGTERM')
            }
          }
        } finally {
          rmSync(seeded.dataDir, { recursive: true, force: true })
        }
      } catch (err) {
        errors.push(`coldjoin switchboard: ${(err as Error).message.slice(0, 300)}`)
        log('coldjoin switchboard failed', (err as Error).message.slice(0, 300))
      }
    for (const clients of wanted(COLD_JOIN_FLOOR) ? profile.clients : []) {
      const floor = await startFloor(room.file)
      const load = await startChild('load/coldjoin.ts')
      try {
        rows.push(
          row(
            COLD_JOIN_FLOOR,
            await measure(load, floor.target, floor.pid, clients, profile.timeoutMs),
          ),
        )
      } catch (err) {
        errors.push(`coldjoin floor ${clients}: ${(err as Error).message.slice(0, 300)}`)
      } finally {
        load.kill()
        await floor.stop()
      }
    }
    for (const kind of [ServerKind.Hocuspocus, ServerKind.YWebsocket].filter(wanted)) {
      for (const clients of profile.clients) {
        let server
        try {
          server = await startServer(kind)
        } catch (err) {
          errors.push(`coldjoin ${kind}: ${(err as Error).message.split('\n')[0]}`)
          break
        }
        const load = await startChild('load/coldjoin.ts')
        try {
          const target = server.target()
          await load.call({ cmd: 'seed', target, file: room.file }, 600_000)
          rows.push(row(kind, await measure(load, target, server.pid, clients, profile.timeoutMs)))
        } catch (err) {
          errors.push(`coldjoin ${kind} ${clients}: ${(err as Error).message.slice(0, 300)}`)
          log('coldjoin', kind, clients, 'failed', (err as Error).message.slice(0, 300))
        } finally {
          load.kill()
          await server.stop()
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { rows, errors }
}
