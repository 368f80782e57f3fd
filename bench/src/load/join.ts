/**
 * @module One client joining a room over a StreamSocket, as y-websocket does: its sync step 1
 * (its state vector) on open, its step 2 in answer to the server's step 1; synced once the
 * server's whole step 2 has arrived. Big step 2 payloads are counted, not buffered.
 */
import { MessageType, SyncStep } from '@switchboard/protocol'
import * as decoding from 'lib0/decoding'
import type { Target } from '../target.ts'
import {
  authFrame,
  decodeFrame,
  HOCUS_SYNC_REPLY,
  Protocol,
  syncStep1Frame,
  syncStep2Frame,
} from '../wire.ts'
import { StreamSocket } from './stream-socket.ts'

export interface JoinOptions {
  /** The client's state vector (an empty one for a cold client). */
  stateVector: Uint8Array
  /** What the client answers the server's step 1 with (what the server lacks). */
  answer(serverStateVector: Uint8Array): Uint8Array
  /** Keep the whole step 2 (to check what a client ends up with). */
  keepStep2?: boolean
  onOpen?(): void
  onSynced(step2: { payloadBytes: number; update: Uint8Array | null; bytesIn: number }): void
  onClose(code: number): void
}

type Peeked = { type: 'step-1' | 'step-2' | 'update' | 'other'; payloadBytes: number }

/** The sync header of a message from its first bytes; checks the payload fills the message. */
export function peekSync(protocol: Protocol, prefix: Uint8Array, length: number): Peeked {
  try {
    const d = decoding.createDecoder(prefix)
    if (protocol === Protocol.Hocus) decoding.readVarString(d)
    const type = decoding.readVarUint(d)
    if (type !== MessageType.Sync && !(protocol === Protocol.Hocus && type === HOCUS_SYNC_REPLY))
      return { type: 'other', payloadBytes: 0 }
    const step = decoding.readVarUint(d)
    const payloadBytes = decoding.readVarUint(d)
    if (d.pos + payloadBytes !== length) throw new Error('sync payload does not fill the message')
    const kind = step === SyncStep.One ? 'step-1' : step === SyncStep.Two ? 'step-2' : 'update'
    return { type: kind, payloadBytes }
  } catch (err) {
    throw new Error(`undecodable message of ${length} bytes: ${(err as Error).message}`)
  }
}

export function joinRoom(target: Target, opts: JoinOptions): StreamSocket {
  let synced = false
  const socket: StreamSocket = new StreamSocket(target.url, {
    keepUpTo: opts.keepStep2 ? Infinity : 64 * 1024,
    onOpen() {
      opts.onOpen?.()
      if (target.protocol === Protocol.Hocus) socket.send(authFrame(target.doc, target.token))
      socket.send(syncStep1Frame(target.protocol, target.doc, opts.stateVector))
    },
    onMessage(msg) {
      const peeked = peekSync(target.protocol, msg.prefix, msg.length)
      if (peeked.type === 'step-1' && msg.bytes) {
        const m = decodeFrame(target.protocol, msg.bytes)
        if (m.type === 'step-1')
          socket.send(syncStep2Frame(target.protocol, target.doc, opts.answer(m.stateVector)))
      } else if (peeked.type === 'step-2' && !synced) {
        synced = true
        const m = msg.bytes ? decodeFrame(target.protocol, msg.bytes) : null
        opts.onSynced({
          payloadBytes: peeked.payloadBytes,
          update: m && m.type === 'step-2' ? m.update : null,
          bytesIn: socket.bytesIn,
        })
      }
    },
    onClose: (code) => opts.onClose(code),
  })
  return socket
}
