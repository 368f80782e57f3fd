/**
 * @module Seeds a peer's room through a socket that stays open (their rooms live in memory only
 * while someone is connected): the room's updates in order, then a sync step 1 with their state
 * vector, answered once the server has applied them all (messages are handled in order).
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { Target } from '../target.ts'
import { authFrame, decodeFrame, Protocol, syncStep1Frame, updateFrame } from '../wire.ts'

/** The state vector of a room given as several updates (the newest clock of each client). */
function stateVectorOf(updates: readonly Uint8Array[]): Uint8Array {
  const sv = new Map<number, number>()
  for (const u of updates)
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVectorFromUpdate(u)))
      sv.set(client, Math.max(clock, sv.get(client) ?? 0))
  return Y.encodeStateVector(sv)
}

export async function seedRoom(
  target: Target,
  updates: readonly Uint8Array[],
): Promise<{ ws: WebSocket; bytes: number }> {
  const ws = new WebSocket(target.url, { perMessageDeflate: false, maxPayload: 2 ** 31 })
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject)
    ws.on('close', (code) => reject(new Error(`seeder closed with ${code}`)))
    ws.on('open', () => {
      if (target.protocol === Protocol.Hocus) ws.send(authFrame(target.doc, target.token))
      for (const u of updates) ws.send(updateFrame(target.protocol, target.doc, u))
      ws.send(syncStep1Frame(target.protocol, target.doc, stateVectorOf(updates)))
    })
    ws.on('message', (data: Buffer) => {
      if (decodeFrame(target.protocol, new Uint8Array(data)).type === 'step-2') resolve()
    })
  })
  return { ws, bytes: updates.reduce((n, u) => n + u.byteLength, 0) }
}
