/**
 * @module The presence (awareness) gate: a socket sets only its own awareness client id, stamped
 * with its authenticated member; its state is at most `maxStateBytes` of JSON [L5]; a device id
 * in it is bound to its member or removed [L2].
 */
import type { Peer } from './peer.ts'
import {
  parseAwarenessState,
  type AwarenessEntry,
  type RawAwarenessEntry,
} from '@switchboard/protocol'

/** What the gate did with an awareness update (see `Room.applyAwareness`). */
export interface AwarenessResult {
  /** Entries for other sockets' ids that were not echoes (spoofs), dropped. */
  dropped: number
  /** The byte size of the socket's own state when it is over the cap: nothing was applied. */
  oversized: number | null
  /** Device ids of another member the state announced, removed from it. */
  foreignDevices: number
}

/** The entries a room applies from a socket's awareness update, and what was refused. */
export interface GatedAwareness {
  entries: AwarenessEntry[]
  result: AwarenessResult
}

/**
 * Gates one socket's awareness entries. `peers` are the room's sockets; `clockOf` the clock the
 * room holds for an awareness client id (0: none). Binds the socket to the first id it announces
 * with a live state, and its devices through `peer.claimDevice`; 0 for `maxStateBytes`: no cap.
 */
export function gateAwareness(
  peer: Peer,
  peers: Iterable<Peer>,
  clockOf: (clientId: number) => number,
  entries: readonly RawAwarenessEntry[],
  maxStateBytes: number,
): GatedAwareness {
  // y-websocket re-sends every awareness change it receives, so a joining client echoes its
  // teammates' states back, often before announcing its own: ids bound to other sockets are
  // echoes and ignored, and the socket is bound to the first other id with a live state.
  const owned = new Set<number>()
  for (const other of peers)
    if (other !== peer && other.awarenessClientId !== null) owned.add(other.awarenessClientId)
  // An echo repeats a clock the relay already has; a newer clock for another socket's id is
  // a spoof, counted as rejected.
  let echoes = 0
  const own: AwarenessEntry[] = []
  for (const e of entries) {
    if (e.clientId !== peer.awarenessClientId && owned.has(e.clientId)) {
      if (e.clock <= clockOf(e.clientId)) echoes++
      continue
    }
    if (peer.awarenessClientId !== null && e.clientId !== peer.awarenessClientId) continue
    // Checked before parsing: an oversized state costs no JSON parse and reaches no one.
    if (maxStateBytes > 0 && e.json.byteLength > maxStateBytes)
      return {
        entries: [],
        result: { dropped: 0, oversized: e.json.byteLength, foreignDevices: 0 },
      }
    const state = parseAwarenessState(e)
    if (peer.awarenessClientId === null) {
      if (state === null) continue
      peer.awarenessClientId = e.clientId
    }
    own.push({ clientId: e.clientId, clock: e.clock, state })
  }
  let foreignDevices = 0
  const stamped = own.map((e) => {
    if (e.state === null || typeof e.state !== 'object' || Array.isArray(e.state))
      return { ...e, state: null }
    const state: Record<string, unknown> = {
      ...e.state,
      memberId: peer.memberId,
      memberName: peer.memberName,
      name: peer.memberName,
    }
    // Presence never shows a device id that another member could write under [L2].
    if ('deviceId' in state) {
      const device = state.deviceId
      if (typeof device !== 'string' || !peer.claimDevice || !peer.claimDevice(device)) {
        delete state.deviceId
        foreignDevices++
      }
    }
    return { ...e, state }
  })
  return {
    entries: stamped,
    result: { dropped: entries.length - own.length - echoes, oversized: null, foreignDevices },
  }
}
