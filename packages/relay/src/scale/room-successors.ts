/**
 * @module A draining relay's rooms handed to their next owners (docs/scale-out.md "Lost leases
 * and drains"): while its rooms' last writes are stored it names each room's successor (the
 * rendezvous choice among the live relays not draining), and once the rooms are released, before
 * their sockets close, it tells each successor over PostgreSQL (NOTIFY). The successor claims and
 * reads them while the clients reconnect, instead of after the first of them arrives. A notice
 * lost or late changes nothing but the wait: the first socket loads the room as before.
 */
import type { Sql } from '../storage/postgres-connect.ts'
import type { RelayRegistry } from './relay-registry.ts'

/** The channel of hand-off notices: `{ to, rooms }` (JSON), for relay `to` only. */
export const HANDOFF_CHANNEL = 'switchboard_rooms_handed'

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_NOTICE_BYTES = 7000

interface HandOffNotice {
  to: string
  rooms: string[]
}

type Log = (event: Record<string, unknown>) => void

export interface Successors {
  /** Names the successor of each of `rooms` now (the drain has marked this relay draining). */
  choose(rooms: readonly string[]): void
  /** Tells the successors of `rooms` (once released); resolves when the notices are sent. */
  handOff(rooms: readonly string[]): Promise<void>
}

export function createSuccessors(
  sql: Sql,
  registry: Pick<RelayRegistry, 'relayId' | 'preferredOwner'>,
  log: Log,
): Successors {
  let chosen: Promise<Map<string, string>> = Promise.resolve(new Map())

  const successorsOf = async (rooms: readonly string[]) => {
    const by = new Map<string, string>()
    // One after another: the first asks PostgreSQL for the live relays, the rest use its answer.
    for (const room of rooms) {
      const owner = await registry.preferredOwner(room)
      if (owner.id !== registry.relayId) by.set(room, owner.id)
    }
    return by
  }

  return {
    choose(rooms) {
      chosen = successorsOf(rooms).catch((err: unknown) => {
        log({ level: 'warn', msg: 'drain: successors not chosen', err: String(err) })
        return new Map<string, string>()
      })
    },
    async handOff(rooms) {
      const by = await chosen
      const notices: HandOffNotice[] = []
      const open = new Map<string, HandOffNotice & { bytes: number }>()
      for (const room of rooms) {
        const to = by.get(room)
        if (to === undefined) continue
        let notice = open.get(to)
        if (!notice || notice.bytes + room.length > MAX_NOTICE_BYTES) {
          notice = { to, rooms: [], bytes: 0 }
          open.set(to, notice)
          notices.push(notice)
        }
        notice.rooms.push(room)
        notice.bytes += room.length + 4
      }
      await Promise.all(
        notices.map(({ to, rooms: names }) =>
          sql
            .notify(HANDOFF_CHANNEL, JSON.stringify({ to, rooms: names }))
            .catch((err: unknown) =>
              log({ level: 'warn', msg: 'drain: successor not told', to, err: String(err) }),
            ),
        ),
      )
    },
  }
}

/** Hears the rooms other relays hand to `relayId`; resolves with a function that stops it. */
export async function listenForHandOffs(
  sql: Sql,
  relayId: string,
  heard: (rooms: string[]) => void,
): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(HANDOFF_CHANNEL, (payload) => {
    let notice: Partial<HandOffNotice>
    try {
      notice = JSON.parse(payload) as Partial<HandOffNotice>
    } catch {
      return
    }
    if (notice.to === relayId && Array.isArray(notice.rooms))
      heard(notice.rooms.filter((r): r is string => typeof r === 'string'))
  })
  return unlisten
}
