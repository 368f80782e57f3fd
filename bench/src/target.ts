/**
 * @module The servers under test as the bench sees them: their kinds, how a load client reaches
 * one (`Target`), where the repository is, and a free loopback port to start one on. Imported by
 * servers.ts and relay-process.ts alike, so neither imports the other's values.
 */
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Protocol } from './wire.ts'

export const ServerKind = {
  Floor: 'ws floor',
  YWebsocket: 'y-websocket-server',
  Hocuspocus: 'hocuspocus',
  Switchboard: 'switchboard',
  /** This checkout's relay on PostgreSQL (`DATABASE_URL`, a throwaway cluster on this machine). */
  SwitchboardPostgres: 'switchboard (PostgreSQL)',
  /** Two of this checkout's relays on one PostgreSQL: the room's owner and an edge relay (T1). */
  SwitchboardTwoRelays: 'switchboard (2 relays on PostgreSQL)',
  /** The relay of another checkout (BENCH_BASELINE_ROOT), e.g. the previous commit. */
  Baseline: 'switchboard (baseline)',
  /** Two relays of BENCH_BASELINE_ROOT's checkout on one PostgreSQL, as SwitchboardTwoRelays. */
  BaselineTwoRelays: 'switchboard baseline (2 relays on PostgreSQL)',
} as const
export type ServerKind = (typeof ServerKind)[keyof typeof ServerKind]

/** What a load client needs to reach one room of a running server. */
export interface Target {
  kind: ServerKind
  protocol: Protocol
  /** WebSocket URL of the room (query included). */
  url: string
  /** Document name inside Hocuspocus frames. */
  doc: string
  token: string
  /** The member marks are signed as. */
  memberId: string
  /** Whether the server answers sync step 1 with step 2 (the floor does not). */
  syncs: boolean
  acks: boolean
  /** The room's conversations are `<prefix>0`…: `c` unless given (T2's rooms have their own). */
  conversationPrefix?: string
  /** The same room through a second relay, which proxies to the owner at `url` (issue 25, T1). */
  peerUrl?: string
}

/** The `i`th client's way in: where a second relay serves the room, odd clients go through it. */
export function viaRelay(target: Target, i: number): Target {
  return target.peerUrl && i % 2 === 1 ? { ...target, url: target.peerUrl } : target
}

/** A server the bench started, and how to stop it. */
export interface RunningServer {
  kind: ServerKind
  pid: number
  /** The HTTP base URL (Switchboard only). */
  base?: string
  /** Two relays (T1, T7): the second relay's HTTP base URL and process id. */
  peer?: { base: string; pid: number }
  /** On PostgreSQL: the database's URL (`DATABASE_URL`). */
  database?: string
  target(options?: { ack?: boolean }): Target
  stop(): Promise<void>
}

const here = dirname(fileURLToPath(import.meta.url))
/** The repository's root directory. */
export const repoRoot = join(here, '..', '..')

/** Another checkout whose relay runs beside this one's (a one-off before/after comparison). */
export const baselineRoot = process.env.BENCH_BASELINE_ROOT || undefined

/** A loopback port nothing listens on (free when asked). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
