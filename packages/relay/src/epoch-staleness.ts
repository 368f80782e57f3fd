/**
 * @module Epoch staleness [E4]: Yjs cannot merge two epochs, so a state vector or an update that
 * names a client id of an older epoch is refused, and the relay writes a new epoch under a client
 * id no older replica knows.
 */
import * as Y from 'yjs'

/** True when a state vector names a client id of an older epoch [E4]. */
export function staleStateVector(retired: ReadonlySet<number>, stateVector: Uint8Array): boolean {
  if (retired.size === 0) return false
  for (const client of Y.decodeStateVector(stateVector).keys()) if (retired.has(client)) return true
  return false
}

/** True when a decoded update carries or refers to structs of an older epoch [E4]. */
export function staleUpdate(
  retired: ReadonlySet<number>,
  { structs, ds }: ReturnType<typeof Y.decodeUpdate>,
): boolean {
  if (retired.size === 0) return false
  for (const client of ds.clients.keys()) if (retired.has(client)) return true
  for (const s of structs) {
    if (retired.has(s.id.client)) return true
    if (!(s instanceof Y.Item)) continue
    if (s.origin && retired.has(s.origin.client)) return true
    if (s.rightOrigin && retired.has(s.rightOrigin.client)) return true
    if (s.parent instanceof Y.ID && retired.has(s.parent.client)) return true
  }
  return false
}

/** A random Yjs client id not in `taken` (`preferred` when it is free). */
export function freshClientId(taken: ReadonlySet<number>, preferred?: number): number {
  let id = preferred ?? (Math.random() * 2 ** 32) >>> 0
  while (taken.has(id)) id = (Math.random() * 2 ** 32) >>> 0
  return id
}
