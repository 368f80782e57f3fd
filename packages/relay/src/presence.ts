/**
 * @module A room's presence (awareness): what a socket may set passes the gate
 * (awareness-gate.ts); every change goes to every socket, the sender's own renewal included.
 */
import type * as Y from 'yjs'
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import { gateAwareness, type AwarenessResult } from './awareness-gate.ts'
import type { Peer } from './peer.ts'
import {
  decodeAwarenessRaw,
  encodeAwareness,
  encodeAwarenessEntries,
  type RawAwarenessEntry,
} from '@switchboard/protocol'

/** The presence of one room's sockets. */
export class RoomPresence {
  #doc: Y.Doc
  #peers: ReadonlySet<Peer>
  #awareness: Awareness | null = null

  constructor(doc: Y.Doc, peers: ReadonlySet<Peer>) {
    this.#doc = doc
    this.#peers = peers
  }

  /**
   * Made when first needed: each Awareness runs a timer every few seconds, and most rooms the
   * relay holds (a webhook's new conversation, an inbox nobody has open) never see presence.
   */
  get awareness(): Awareness {
    if (this.#awareness) return this.#awareness
    const awareness = new Awareness(this.#doc)
    awareness.setLocalState(null)
    awareness.on('update', this.#onUpdate)
    return (this.#awareness = awareness)
  }

  /** Applies what a socket's awareness update may set [L2][L5] (see gateAwareness). */
  apply(
    peer: Peer,
    update: Uint8Array | readonly RawAwarenessEntry[],
    maxStateBytes: number,
  ): AwarenessResult {
    const entries = update instanceof Uint8Array ? decodeAwarenessRaw(update) : update
    const clockOf = (id: number) => this.awareness.meta.get(id)?.clock ?? 0
    const gated = gateAwareness(peer, this.#peers, clockOf, entries, maxStateBytes)
    if (gated.entries.length > 0)
      applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(gated.entries), peer)
    return gated.result
  }

  /** Every state as one awareness frame; null when there is none. */
  frame(): Uint8Array | null {
    if (!this.#awareness) return null
    const ids = [...this.awareness.getStates().keys()]
    return ids.length > 0 ? encodeAwareness(encodeAwarenessUpdate(this.awareness, ids)) : null
  }

  /** The socket left: its state goes, for everyone. */
  leave(peer: Peer): void {
    if (!this.#awareness) return
    if (peer.awarenessClientId !== null && this.awareness.states.has(peer.awarenessClientId))
      removeAwarenessStates(this.awareness, [peer.awarenessClientId], peer)
  }

  destroy(): void {
    this.#awareness?.destroy()
  }

  #onUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = [...added, ...updated, ...removed]
    if (changed.length === 0 || this.#peers.size === 0) return
    // Like the reference server, the sender gets its own renewal back: an unmodified provider
    // reconnects after 30 s without any message.
    void origin
    const frame = encodeAwareness(encodeAwarenessUpdate(this.awareness, changed))
    for (const peer of this.#peers) peer.send(frame)
  }
}
