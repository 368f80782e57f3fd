/**
 * @module What a stored update acknowledges: for each client id with structs in it, the newest
 * clock the relay now holds (docs/protocol.md "Ack"). Acks are cumulative, so one per client id.
 */
import * as Y from 'yjs'
import { encodeAck } from '@switchboard/protocol'

/** Client ids with structs in an update, in order of first appearance (as Y.parseUpdateMeta). */
export function ackedClients(update: Uint8Array, structs?: readonly { id: Y.ID }[]): number[] {
  if (!structs) return [...Y.parseUpdateMeta(update).to.keys()]
  const clients: number[] = []
  let last = -1
  for (const s of structs) {
    const client = s.id.client
    if (client !== last && !clients.includes(client)) clients.push(client)
    last = client
  }
  return clients
}

/** The ack frames owed to one socket: per client id, the newest clock stored. */
export const ackFrames = (owed: ReadonlyMap<number, number>): Uint8Array[] =>
  [...owed].map(([client, clock]) => encodeAck(client, clock))
