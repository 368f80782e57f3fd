/**
 * @module Workload 8, restart recovery: C cold and W warm clients of a big room (the same room as
 * workload 2, in the relay's durable store) are connected when the relay is stopped — SIGTERM
 * (graceful) and SIGKILL — and started again on the same data directory and port; time from the
 * signal until every client has reconnected (y-websocket's backoff) and synced again.
 *
 * Switchboard only: the peers as the issue runs them (defaults, no persistence extension) keep
 * rooms in memory, so a restarted peer comes back empty and "synced again" would mean clients
 * re-uploading the room — not the same measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startChild } from './child.ts'
import { buildBigRoom, sampleRss, seedSwitchboardDir } from './coldjoin.ts'
import { spawnRelay, switchboardTarget, type RelayProcess } from './relay-process.ts'
import { freePort } from './target.ts'
import { cpuOf } from './stats.ts'

export interface RestartProfile {
  conversations: number
  /** Client mixes, each restarted once per signal (the target: 300 cold or 1,000 warm). */
  mixes: { cold: number; warm: number }[]
  timeoutMs: number
}

interface Side {
  clients: number
  lastSyncedAt: number
  medianSyncedAt: number
  bytesPerClient: number
  attempts: number
}

export interface RestartRow {
  signal: string
  conversations: number
  roomBytes: number
  cold: number
  warm: number
  /** From the signal: the old process gone, the new one answering /healthz. */
  exitedMs: number
  healthyMs: number
  /** From the signal until every client is synced again (the target: ≤ 5 s). */
  allSyncedMs: number
  coldSyncedMs: number
  warmSyncedMs: number
  coldBytesPerClient: number
  warmBytesPerClient: number
  reconnectAttempts: number
  /** The new relay's CPU time until all were synced (10-ms ticks). */
  serverCpuMs: number
  peakRssMiB: number
}

type Log = (...args: unknown[]) => void

export async function restart(
  profile: RestartProfile,
  log: Log,
): Promise<{
  rows: RestartRow[]
  initialJoinMs: { cold: number; warm: number; ms: number }[]
  errors: string[]
}> {
  const rows: RestartRow[] = []
  const errors: string[] = []
  const initialJoinMs: { cold: number; warm: number; ms: number }[] = []
  const dir = mkdtempSync(join(tmpdir(), 'bench-restart-'))
  let dataDir: string | null = null
  let relay: RelayProcess | null = null
  const load = await startChild('load/restart.ts')
  try {
    const room = await buildBigRoom(profile.conversations, dir)
    const seeded = await seedSwitchboardDir(room)
    dataDir = seeded.dataDir
    // Clients reconnect to the same URL, so the relay comes back on the same port.
    const port = await freePort()
    relay = await spawnRelay(dataDir, port)
    const target = switchboardTarget(port, seeded.token, seeded.memberId)
    for (const mix of profile.mixes) {
      const started = await load.call<{ initialJoinMs: number }>(
        { cmd: 'start', target, cold: mix.cold, warm: mix.warm, timeoutMs: profile.timeoutMs },
        profile.timeoutMs + 120_000,
      )
      initialJoinMs.push({ ...mix, ms: started.initialJoinMs })
      log('restart: clients connected', JSON.stringify(mix), JSON.stringify(started))
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        await load.call({ cmd: 'arm' })
        const t0 = Date.now()
        await relay.stop(signal)
        const exitedMs = Date.now() - t0
        relay = await spawnRelay(dataDir, port)
        const sampler = sampleRss(relay.pid)
        const r = await load.call<{ cold: Side; warm: Side }>(
          { cmd: 'wait', timeoutMs: profile.timeoutMs },
          profile.timeoutMs + 60_000,
        )
        const serverCpuMs = await cpuOf(relay.pid)
        const peakRssMiB = await sampler.stop()
        const last = Math.max(r.cold.lastSyncedAt || 0, r.warm.lastSyncedAt || 0)
        const row: RestartRow = {
          signal,
          conversations: room.conversations,
          roomBytes: room.bytes,
          cold: mix.cold,
          warm: mix.warm,
          exitedMs,
          healthyMs: relay.healthyAt - t0,
          allSyncedMs: last - t0,
          coldSyncedMs: r.cold.clients ? r.cold.lastSyncedAt - t0 : NaN,
          warmSyncedMs: r.warm.clients ? r.warm.lastSyncedAt - t0 : NaN,
          coldBytesPerClient: r.cold.bytesPerClient,
          warmBytesPerClient: r.warm.bytesPerClient,
          reconnectAttempts: r.cold.attempts + r.warm.attempts,
          serverCpuMs,
          peakRssMiB,
        }
        rows.push(row)
        log('restart', signal, JSON.stringify(row))
      }
      await load.call({ cmd: 'stop' })
    }
  } catch (err) {
    errors.push(`restart: ${(err as Error).message.slice(0, 300)}`)
    log('restart failed', (err as Error).message.slice(0, 300))
  } finally {
    await load.call({ cmd: 'stop' }).catch(() => {})
    load.kill()
    await relay?.stop('SIGTERM')
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  }
  return { rows, initialJoinMs, errors }
}
