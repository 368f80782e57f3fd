/**
 * @module Rendezvous (highest random weight) hashing: every relay computes the same owner for a
 * room from the list of live relays alone, and when a relay joins or leaves only the rooms it
 * wins or held move.
 */
import { createHash } from 'node:crypto'

/** A 48-bit weight of the pair, the same on every relay. */
function weight(room: string, relayId: string): number {
  return createHash('sha256').update(relayId).update('\0').update(room).digest().readUIntBE(0, 6)
}

/** The relay id with the highest weight for `room` (ties, practically impossible, by id). */
export function rendezvousOwner(room: string, relayIds: readonly string[]): string {
  let best: string | undefined
  let bestWeight = -1
  for (const id of relayIds) {
    const w = weight(room, id)
    if (w > bestWeight || (w === bestWeight && best !== undefined && id < best)) {
      best = id
      bestWeight = w
    }
  }
  if (best === undefined) throw new Error('no relay to choose from')
  return best
}
