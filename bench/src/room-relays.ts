/**
 * @module Many rooms over one or two relays (issue 25, T2 and T8): one SQLite relay, or two relays
 * on one throwaway PostgreSQL whose rooms are owned half by each. Each room is an inbox of its own
 * phone number with the bench's conversations, every demo member may answer it, and it is loaded
 * by its owner before anything is measured.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestPostgres } from '@switchboard/relay/testing'
import { login, spawnRelay, type RelayProcess, type SpawnOptions } from './relay-process.ts'
import { BENCH_CONVERSATIONS, loadRoom, seedConversations } from './servers.ts'
import { freePort, repoRoot, ServerKind, type Target } from './target.ts'
import { Protocol } from './wire.ts'

/** The demo's members (one password): sockets of T8 are spread over them. */
export const DEMO_MEMBERS = ['alice', 'bob', 'carol', 'dan', 'erin']

export interface RoomRelays {
  /** One relay (SQLite) or two (PostgreSQL). */
  relays: RelayProcess[]
  /** Per room: the relay that owns it (index into `relays`). */
  owners: number[]
  /** The room's document name. */
  rooms: string[]
  /** Each member's session token at each relay: `tokens[relay][member]`. */
  tokens: string[][]
  /** Room `r` through relay `at` as member `member` (an index into DEMO_MEMBERS). */
  target(r: number, at: number, options?: { ack?: boolean; member?: number }): Target
  stop(): Promise<void>
}

async function api(base: string, token: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
}

/** `rooms` phone numbers, each with every demo member's access and the bench's conversations. */
async function seedRooms(base: string, rooms: number): Promise<string[]> {
  const { token } = await login(base)
  const ids: string[] = []
  for (let r = 0; r < rooms; r++) {
    const id = `pn-rooms-${r}`
    await api(base, token, '/api/admin/phone-numbers', {
      name: `Bench ${r}`,
      number: `+1555${String(2_000_000 + r)}`,
      id,
    })
    for (const memberId of DEMO_MEMBERS)
      await api(base, token, '/api/admin/access', { memberId, phoneNumberId: id })
    await seedConversations(base, id, BENCH_CONVERSATIONS, `r${r}c`)
    ids.push(id)
  }
  return ids
}

/** Each demo member's token at `base`. */
async function tokensAt(base: string): Promise<string[]> {
  const tokens: string[] = []
  for (const m of DEMO_MEMBERS) tokens.push((await login(base, `${m}@example.com`)).token)
  return tokens
}

/**
 * `relays` 1: one SQLite relay (seeded, then started again on its store as users find it).
 * `relays` 2: two relays on one PostgreSQL; a third, gone before they start, seeds the store, and
 * room `r` is loaded first through relay `r % 2`, which claims it.
 */
export async function startRoomRelays(
  relays: 1 | 2,
  rooms: number,
  spawn: SpawnOptions = {},
  /** Added to the environment of the relays measured (not the seeding one). */
  env: Record<string, string> = {},
  /** The checkout whose relays run (another one for a before/after comparison). */
  root: string = repoRoot,
): Promise<RoomRelays> {
  const dirs: string[] = []
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'switchboard-bench-rooms-'))
    dirs.push(d)
    return d
  }
  const cluster = relays === 2 ? await startTestPostgres() : null
  const running: RelayProcess[] = []
  const cleanup = async () => {
    for (const r of running.splice(0)) await r.stop()
    await cluster?.destroy()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    const ports = [await freePort(), await freePort()].slice(0, relays)
    const bases = ports.map((p) => `http://127.0.0.1:${p}`)
    const DATABASE_URL = cluster ? await cluster.createDatabase() : undefined
    const envOf = (i: number): Record<string, string> =>
      DATABASE_URL ? { DATABASE_URL, RELAY_ID: `bench-${i}`, RELAY_INTERNAL_URL: bases[i]! } : {}
    const firstDir = dir()
    // The seeding relay: for two relays a third id whose drain gives its rooms up at once.
    const seeder = await spawnRelay(
      firstDir,
      ports[0]!,
      DATABASE_URL ? { ...envOf(0), RELAY_ID: 'bench-seed' } : {},
      root,
    )
    running.push(seeder)
    const ids = await seedRooms(seeder.base, rooms)
    await seeder.stop()
    running.splice(0)
    for (let i = 0; i < relays; i++)
      running.push(
        await spawnRelay(
          i === 0 ? firstDir : dir(),
          ports[i]!,
          { ...envOf(i), ...env },
          root,
          spawn,
        ),
      )
    const tokens = await Promise.all(bases.map(tokensAt))
    const names = ids.map((id) => `inbox:${id}`)
    const owners = names.map((_, r) => r % relays)
    const wsUrl = (r: number, at: number, token: string) =>
      `ws://127.0.0.1:${ports[at]}/sync/${encodeURIComponent(names[r]!)}?token=${encodeURIComponent(token)}`
    for (let r = 0; r < rooms; r++) await loadRoom(wsUrl(r, owners[r]!, tokens[owners[r]!]![0]!))
    const memberIds = DEMO_MEMBERS
    return {
      relays: running,
      owners,
      rooms: names,
      tokens,
      target(r, at, options = {}) {
        const member = options.member ?? 0
        const url = wsUrl(r, at, tokens[at]![member]!) + (options.ack ? '&ack=1' : '')
        return {
          kind: relays === 2 ? ServerKind.SwitchboardTwoRelays : ServerKind.Switchboard,
          protocol: Protocol.Y,
          url,
          doc: names[r]!,
          token: tokens[at]![member]!,
          memberId: memberIds[member]!,
          syncs: true,
          acks: !!options.ack,
          conversationPrefix: `r${r}c`,
        }
      },
      stop: cleanup,
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
