/**
 * @module Applying an admitted client update to a room's document, and the bytes it adds. When
 * everything in the update integrates at once, its own bytes are what the doc's `update` event
 * would carry, so Yjs's re-encoding of the transaction (which walks every client id of the room)
 * is skipped. An apply that throws, deletes what the admission did not predict (the tripwire
 * [M8]) or leaves structs pending is a failure: the room must not keep it.
 */
import { unpredictedDeletion, type Admitted } from '@switchboard/core'
import * as Y from 'yjs'
import type { DeleteSet } from './delete-sets.ts'
import { integratesWhole } from './integrates-whole.ts'
import type { DecodedUpdate } from './merge.ts'

/** What `Room.applyUpdate` holds an admitted update to. */
export interface ApplyChecks {
  /** The admission whose predicted deletions the apply must stay within (the tripwire [M8]). */
  admitted?: Admitted
  /** Structs whose client ids are acknowledged: the received update's, before it was trimmed. */
  acked?: readonly { id: Y.ID }[]
}

/** What applying an update added to the document, or why the room must drop it. */
export type Applied =
  | {
      ok: true
      /** The bytes the update added (null: nothing), and their decoded form when whole. */
      added: Uint8Array | null
      decoded: DecodedUpdate | null
      /** What an observer wrote as the relay's own client id during the apply (null: nothing). */
      relayWrote: Uint8Array | null
    }
  | { ok: false; failure: string }

/**
 * Applies `update` (from `origin`) to `doc`, with the room's own `update` listener off meanwhile.
 * `structs` and `ds` are `Y.decodeUpdate(update)`'s when the caller decoded it; `admitted`, the
 * admission whose predicted deletions the apply must stay within.
 */
export function applyAdmitted(
  doc: Y.Doc,
  listener: (update: Uint8Array, origin: unknown) => void,
  origin: unknown,
  update: Uint8Array,
  structs?: readonly (Y.Item | Y.GC | Y.Skip)[],
  ds?: DeleteSet,
  admitted?: Admitted,
): Applied {
  const whole = structs !== undefined && ds !== undefined && integratesWhole(doc, structs, ds)
  const own = Y.getState(doc.store, doc.clientID)
  let encoded: Uint8Array | null = null
  let deleted: DeleteSet | null = null
  const onUpdate = (u: Uint8Array) => void (encoded = u)
  const onAfter = (tr: Y.Transaction) => void (deleted ??= tr.deleteSet)
  doc.off('update', listener)
  doc.on('afterTransaction', onAfter)
  if (!whole) doc.on('update', onUpdate)
  let failure: string | null = null
  try {
    Y.applyUpdate(doc, update, origin)
  } catch (err) {
    failure = `the update broke off while applied: ${(err as Error).message}`
  } finally {
    doc.off('afterTransaction', onAfter)
    if (!whole) doc.off('update', onUpdate)
    doc.on('update', listener)
  }
  if (failure === null && admitted && deleted) {
    const id = unpredictedDeletion(admitted, deleted)
    if (id !== null) failure = `applying it deleted ${id}, which its admission did not predict`
  }
  // Pending structs would go into every snapshot, and a restart would refuse the room.
  if (failure === null && (doc.store.pendingStructs || doc.store.pendingDs))
    failure = 'applying it left structs waiting for others'
  if (failure !== null) return { ok: false, failure }
  let relayWrote: Uint8Array | null = null
  if (Y.getState(doc.store, doc.clientID) !== own) {
    // An observer wrote as the relay during the apply (none does today): that is stored too.
    const sv = Y.decodeStateVector(Y.encodeStateVector(doc))
    sv.set(doc.clientID, own)
    relayWrote = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(sv))
  }
  return whole
    ? { ok: true, added: update, decoded: { structs, ds }, relayWrote }
    : { ok: true, added: encoded, decoded: null, relayWrote }
}
