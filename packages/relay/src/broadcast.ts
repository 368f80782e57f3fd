/**
 * @module A stored batch to every socket of its room: one frame for all, each writer's acks right
 * behind it in the same write; the only author of a batch already has the frame.
 */
import { ackFrames } from './acks.ts'
import type { StoredBatch } from './durable-batch.ts'
import type { Metrics } from './metrics.ts'
import type { Peer, SharedFrame } from './peer.ts'

/** What most sockets of a broadcast are sent besides its frame (none allocated per socket). */
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([])

/** Sends a stored batch's frame and the acks it owes to `peers`. */
export function broadcast(
  peers: Iterable<Peer>,
  { frame, origins, acks }: StoredBatch,
  metrics: Metrics,
): void {
  const only = origins.size === 1 ? [...origins][0] : undefined
  const once: SharedFrame = {}
  let sent = 0
  for (const peer of peers) {
    const owed = acks.get(peer)
    const shared = peer === only ? null : frame
    if (!shared && !owed) continue
    const own = owed ? ackFrames(owed) : NO_FRAMES
    metrics.acksSent += own.length
    if (shared) sent++
    if (peer.sendShared) peer.sendShared(shared, once, own)
    else for (const f of shared ? [shared, ...own] : own) peer.send(f)
  }
  metrics.updatesBroadcast++
  metrics.framesBroadcast += sent
  metrics.bytesBroadcast += sent * frame.byteLength
}
