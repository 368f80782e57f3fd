/**
 * @module Merging a batch of client updates the relay already decoded.
 *
 * `Y.mergeUpdates` decodes every update again (struct contents included) before writing the
 * merged one, repeating the decode the relay has just done. The relay decodes each client
 * update once for its checks (`Y.decodeUpdate`), and a batch of updates that each integrated
 * whole holds, per client, structs that follow each other in arrival order. So the merged update
 * is written straight from those structs, in the layout `Y.mergeUpdates` writes (Yjs v1: clients
 * in descending order, then the merged delete set).
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

type Struct = Y.Item | Y.GC | Y.Skip
type DeleteSet = ReturnType<typeof Y.createDeleteSetFromStructStore>

export interface DecodedUpdate {
  structs: readonly Struct[]
  ds: DeleteSet
}

/**
 * One update holding every struct and deletion of `parts`, which must be updates that applied
 * whole one after the other (each client's structs contiguous across them, no Skip).
 */
export function mergeDecoded(parts: readonly DecodedUpdate[]): Uint8Array {
  const byClient = new Map<number, Struct[]>()
  for (const { structs } of parts)
    for (const s of structs) {
      let list = byClient.get(s.id.client)
      if (!list) byClient.set(s.id.client, (list = []))
      list.push(s)
    }
  const encoder = new Y.UpdateEncoderV1()
  const rest = encoder.restEncoder
  encoding.writeVarUint(rest, byClient.size)
  for (const [client, structs] of [...byClient].sort((a, b) => b[0] - a[0])) {
    structs.sort((a, b) => a.id.clock - b.id.clock)
    encoding.writeVarUint(rest, structs.length)
    encoding.writeVarUint(rest, client)
    encoding.writeVarUint(rest, structs[0]!.id.clock)
    for (const s of structs) {
      if (s instanceof Y.Skip) throw new Error('mergeDecoded: a Skip is not a whole update')
      s.write(encoder, 0)
    }
  }
  const ds = Y.mergeDeleteSets(parts.map((p) => p.ds))
  const clients = [...(ds.clients as Map<number, { clock: number; len: number }[]>)].sort(
    (a, b) => b[0] - a[0],
  )
  writeDeleteSet(rest, clients)
  return encoder.toUint8Array()
}

/** A Yjs v1 delete set: the number of clients, then each client's ranges in the order given. */
export function writeDeleteSet(
  e: encoding.Encoder,
  clients: readonly (readonly [number, readonly { clock: number; len: number }[]])[],
): void {
  encoding.writeVarUint(e, clients.length)
  for (const [client, ranges] of clients) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const r of ranges) {
      encoding.writeVarUint(e, r.clock)
      encoding.writeVarUint(e, r.len)
    }
  }
}
