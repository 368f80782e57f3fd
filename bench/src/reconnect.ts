/**
 * @module Workload 3, warm reconnect to a room with a long history: N conversations then M marks by
 * D devices, built through core (`grown-room.ts`), on every server that syncs. A replica joins once,
 * then reconnects up to date R times; per reconnect, the bytes it was sent and the server's CPU
 * time. Switchboard gets the room in its durable store, as the relay would have written it, and
 * loads it as users run it (an epoch on load when the room is that big); the peers get it through
 * a socket that stays open. A holder socket keeps the room loaded on every server.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GrownBigRoom } from './bigroom.ts'
import { startChild } from './child.ts'
import { seedSwitchboardDir, wanted } from './coldjoin.ts'
import { BENCH_PHONE_NUMBER, spawnRelay, switchboardTarget } from './relay-process.ts'
import { startServer } from './servers.ts'
import { baselineRoot, freePort, ServerKind, type Target } from './target.ts'
import { median } from './stats.ts'

export interface ReconnectProfile {
  conversations: number
  marks: number
  devices: number
  times: number
  settleMs: number
}

export interface ReconnectRow {
  server: string
  conversations: number
  marks: number
  devices: number
  /** The room as built (every server was given these bytes). */
  roomBytes: number
  coldBytes: number
  coldMs: number
  /** What the replica holds once joined, encoded. */
  docBytes: number
  conversationsSeen: number
  /** The room the replica got had begun an epoch (Switchboard, on load, past its thresholds). */
  epoch: boolean
  /** Yjs structs in the replica's document. */
  structs: number
  reconnects: number
  warmBytes: number
  syncedMs: number
  serverCpuMs: number
  serverCpuP90Ms: number
  idleCpuMs: number
  runs: { bytes: number; syncedMs: number; cpuMs: number; idleCpuMs: number }[]
}

type Log = (...args: unknown[]) => void

/** Switchboard without its epoch on load: a busy room between epochs (it grew while in use). */
export const SWITCHBOARD_AS_GROWN = 'switchboard (no epoch: the room as grown)'

const SWITCHBOARD_VARIANTS: { name: string; env: Record<string, string>; root?: string }[] = [
  { name: SWITCHBOARD_AS_GROWN, env: { EPOCH_LOAD_ITEMS: '0', EPOCH_LOAD_WRITERS: '0' } },
  { name: ServerKind.Switchboard, env: {} },
  ...(baselineRoot ? [{ name: ServerKind.Baseline, env: {}, root: baselineRoot }] : []),
]

async function measure(
  server: string,
  room: GrownBigRoom,
  target: Target,
  pid: number,
  profile: ReconnectProfile,
  seed: { cmd: 'seed'; chunksFile: string } | { cmd: 'hold' },
): Promise<ReconnectRow> {
  const load = await startChild('load/reconnect.ts')
  try {
    await load.call({ ...seed, target }, 1_800_000)
    const cold = await load.call<{
      coldBytes: number
      coldMs: number
      docBytes: number
      conversations: number
      epoch: boolean
      structs: number
    }>({ cmd: 'prepare', target }, 1_800_000)
    const runs = await load.call<ReconnectRow['runs']>({
      cmd: 'reconnect',
      pid,
      times: profile.times,
      settleMs: profile.settleMs,
    })
    const cpu = runs.map((r) => r.cpuMs).sort((a, b) => a - b)
    return {
      server,
      conversations: room.conversations,
      marks: room.marks,
      devices: room.devices,
      roomBytes: room.bytes,
      coldBytes: cold.coldBytes,
      coldMs: cold.coldMs,
      docBytes: cold.docBytes,
      conversationsSeen: cold.conversations,
      epoch: cold.epoch,
      structs: cold.structs,
      reconnects: runs.length,
      warmBytes: median(runs.map((r) => r.bytes)),
      syncedMs: median(runs.map((r) => r.syncedMs)),
      serverCpuMs: median(cpu),
      serverCpuP90Ms: cpu[Math.min(cpu.length - 1, Math.floor(cpu.length * 0.9))]!,
      idleCpuMs: median(runs.map((r) => r.idleCpuMs)),
      runs,
    }
  } finally {
    load.kill()
  }
}

export async function reconnect(
  profile: ReconnectProfile,
  log: Log,
): Promise<{ rows: ReconnectRow[]; errors: string[] }> {
  const rows: ReconnectRow[] = []
  const errors: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'bench-reconnect-'))
  try {
    const builder = await startChild('bigroom.ts')
    let room: GrownBigRoom
    try {
      room = await builder.call<GrownBigRoom>(
        {
          cmd: 'build-grown',
          conversations: profile.conversations,
          marks: profile.marks,
          devices: profile.devices,
          phoneNumberId: BENCH_PHONE_NUMBER,
          file: join(dir, 'grown.bin'),
        },
        1_800_000,
      )
    } finally {
      builder.kill()
    }
    log('reconnect: room built', room.bytes, 'bytes in', room.chunks, 'updates')
    const done = (row: ReconnectRow) => {
      rows.push(row)
      const { runs: _runs, ...rest } = row
      log('reconnect', JSON.stringify(rest))
    }
    if (wanted(ServerKind.Switchboard))
      try {
        const seeded = await seedSwitchboardDir(room)
        try {
          // Each relay gets a copy of the store as seeded: an epoch on load rewrites it, and a
          // relay started on it after another would be handed that epoch already made (T9,
          // bench/README). BENCH_BASELINE_FIRST=1 runs the baseline's relay first, so a
          // side-by-side verdict can be read from runs in both orders.
          const variants = SWITCHBOARD_VARIANTS.filter((v) => wanted(v.name))
          if (process.env.BENCH_BASELINE_FIRST === '1') variants.reverse()
          for (const variant of variants) {
            const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-reconnect-'))
            cpSync(seeded.dataDir, dataDir, { recursive: true })
            const port = await freePort()
            const relay = await spawnRelay(dataDir, port, variant.env, variant.root)
            try {
              const target = switchboardTarget(port, seeded.token, seeded.memberId)
              done(await measure(variant.name, room, target, relay.pid, profile, { cmd: 'hold' }))
            } finally {
              await relay.stop('SIGTERM')
              rmSync(dataDir, { recursive: true, force: true })
            }
          }
        } finally {
          rmSync(seeded.dataDir, { recursive: true, force: true })
        }
      } catch (err) {
        errors.push(`reconnect switchboard: ${(err as Error).message.slice(0, 300)}`)
        log('reconnect switchboard failed', (err as Error).message.slice(0, 300))
      }
    for (const kind of [ServerKind.Hocuspocus, ServerKind.YWebsocket].filter(wanted)) {
      let server
      try {
        server = await startServer(kind)
      } catch (err) {
        errors.push(`reconnect ${kind}: ${(err as Error).message.split('\n')[0]}`)
        continue
      }
      try {
        done(
          await measure(kind, room, server.target(), server.pid, profile, {
            cmd: 'seed',
            chunksFile: room.chunksFile,
          }),
        )
      } catch (err) {
        errors.push(`reconnect ${kind}: ${(err as Error).message.slice(0, 300)}`)
        log('reconnect', kind, 'failed', (err as Error).message.slice(0, 300))
      } finally {
        await server.stop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { rows, errors }
}
