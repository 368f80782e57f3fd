/**
 * @module The relay's answers to a client's sync step 1, each sent once what it describes is
 * durable. A cold client (empty state vector) gets the cold-join answer (cold-join-cache.ts). A
 * client that already has every struct lacks at most some deletions, but plain y-protocols would
 * send it the whole delete set: the answer waits for the client's own sync step 2 (its reply to
 * the relay's step 1, carrying its delete set) and sends only the deletions it is missing.
 */
import * as Y from 'yjs'
import { encodeDeletionsOnlyUpdate, subtractDeleteSets, type DeleteSet } from './delete-sets.ts'
import type { Peer } from './peer.ts'
import { encodeSyncStep2 } from '@switchboard/protocol'

/** How long a step 2 answer waits for the client's delete set before sending the full one. */
export const HOLD_STEP2_MS = 2000

/** The room a handshake answers for. */
export interface HandshakeRoom {
  readonly doc: Y.Doc
  /** Runs `fn` once every change now in the document is durable. */
  whenDurable(fn: () => void): void
  /** Calls `use` with the frames of a cold join: a sync step 2 base, then later updates. */
  coldFrames(use: (frames: Uint8Array[]) => void): void
}

/** One room's sync answers, and the step 2 answers held for a client's delete set. */
export class SyncHandshake {
  #room: HandshakeRoom
  #held = new Map<Peer, { timer: ReturnType<typeof setTimeout> }>()
  /** The document's delete set, kept until the next change (every warm rejoin reads it). */
  #deleteSet: DeleteSet | null = null

  constructor(room: HandshakeRoom) {
    this.#room = room
  }

  /** The document changed: its delete set is read again when next needed. */
  changed(): void {
    this.#deleteSet = null
  }

  /** Sync step 1 from a client: answer with what it lacks, once that is durable. */
  step1(peer: Peer, stateVector: Uint8Array): void {
    const { doc, whenDurable } = this.#room
    const sv = Y.decodeStateVector(stateVector)
    if (sv.size === 0) {
      return this.#room.coldFrames((frames) =>
        whenDurable(() => {
          // The base (the one sync step 2) goes last: y-websocket counts itself synced at a step
          // 2, so `synced` must wait for the batches stored since the base too. Yjs holds those
          // as pending until the base they build on arrives, then integrates them in one call.
          for (let i = 1; i < frames.length; i++) peer.send(frames[i]!, true)
          peer.send(frames[0]!, true)
        }),
      )
    }
    let hasEveryStruct = true
    for (const client of doc.store.clients.keys())
      if ((sv.get(client) ?? 0) < Y.getState(doc.store, client)) hasEveryStruct = false
    if (hasEveryStruct) {
      const timer = setTimeout(() => this.#release(peer, null), HOLD_STEP2_MS)
      this.#held.set(peer, { timer })
      return
    }
    const frame = encodeSyncStep2(Y.encodeStateAsUpdate(doc, stateVector))
    whenDurable(() => peer.send(frame))
  }

  /**
   * The client's sync step 2 (after it was applied, or found to add nothing), with its delete
   * set: releases a held step 2 answer.
   */
  step2(peer: Peer, ds: DeleteSet): void {
    if (this.#held.has(peer)) this.#release(peer, ds)
  }

  /** The socket left: nothing held for it is sent. */
  forget(peer: Peer): void {
    const held = this.#held.get(peer)
    if (held) clearTimeout(held.timer)
    this.#held.delete(peer)
  }

  /**
   * True when a decoded update adds nothing to the document: each struct is already in it and
   * each deletion already made. An up-to-date replica's sync step 2 is such an update: no
   * structs and its whole delete set, which is compared with the cached delete set range by
   * range instead of being checked and applied item by item.
   */
  addsNothing({ structs, ds }: { structs: readonly Y.AbstractStruct[]; ds: DeleteSet }): boolean {
    const { doc } = this.#room
    for (const s of structs)
      if (Y.getState(doc.store, s.id.client) < s.id.clock + s.length) return false
    return subtractDeleteSets(ds, this.#deletions()).size === 0
  }

  #release(peer: Peer, clientDeletions: DeleteSet | null): void {
    const held = this.#held.get(peer)
    if (!held) return
    clearTimeout(held.timer)
    this.#held.delete(peer)
    const { doc } = this.#room
    let answer: Uint8Array
    if (clientDeletions) {
      const missing = subtractDeleteSets(this.#deletions(), clientDeletions)
      answer = encodeDeletionsOnlyUpdate(missing)
    } else {
      answer = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc))
    }
    const frame = encodeSyncStep2(answer)
    this.#room.whenDurable(() => peer.send(frame))
  }

  /** The document's deletions, kept until it changes. */
  #deletions(): DeleteSet {
    return (this.#deleteSet ??= Y.createDeleteSetFromStructStore(this.#room.doc.store))
  }
}
