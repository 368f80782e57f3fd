/**
 * @module Which relay serves a room's sockets, on PostgreSQL (docs/scale-out.md "Routing"): the
 * relay that holds the room's fence while its lease is alive; otherwise this one, which claims it
 * as it loads the room. A socket for a room another live relay owns is proxied there over the
 * relay link.
 */
import type { RouteRoom } from '../relay-options.ts'
import type { Sql } from '../storage/postgres-connect.ts'

const SELF = Promise.resolve('self' as const)

/**
 * `servedHere`: a room this relay has in memory or is loading (it holds the claim, or is taking
 * it) is routed here without a query, so the sockets arriving together after a drain do not wait
 * behind the room's load for one. A load another relay's claim refuses closes the socket with
 * 1012, and it is routed again.
 */
export function createRoomRouter(
  sql: Sql,
  relayId: string,
  leaseMs: number,
  servedHere: (room: string) => boolean = () => false,
): RouteRoom {
  /**
   * Look-ups under way, by room: a socket arriving meanwhile shares the answer. A drain moves every
   * client at once (ten writers are thirty sockets for a few rooms), and one query each filled
   * the pool ahead of the queries that load the rooms they wait for.
   */
  const asking = new Map<string, ReturnType<RouteRoom>>()
  const lookUp: RouteRoom = async (room) => {
    const [row] = await sql<{ owner: string | null; url: string | null; alive: boolean | null }[]>`
      select r.owner, rel.url, rel.heartbeat > now() - ${leaseMs}::integer * interval '1 millisecond' as alive
      from room r left join relays rel on rel.id = r.owner
      where r.room = ${room}`
    if (row && row.owner !== null && row.owner !== relayId && row.alive && row.url)
      return { relayId: row.owner, url: row.url }
    return 'self'
  }
  return (room) => {
    if (servedHere(room)) return SELF
    const pending = asking.get(room)
    if (pending) return pending
    const answer = lookUp(room).finally(() => asking.delete(room))
    asking.set(room, answer)
    return answer
  }
}
