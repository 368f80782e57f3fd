/**
 * @module The frames every load client speaks: y-websocket (`y`), Hocuspocus (`hocus`, the same
 * sync messages prefixed by the document name, after an auth message) and Switchboard's ack (100).
 */
import { MessageType, readAck, SyncStep } from '@switchboard/protocol'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const Protocol = { Y: 'y', Hocus: 'hocus' } as const
export type Protocol = (typeof Protocol)[keyof typeof Protocol]

/** Hocuspocus's own message types, beside the y-websocket ones. */
const HOCUS_AUTH = 2
export const HOCUS_SYNC_REPLY = 4

export type Incoming =
  | { type: 'step-1'; stateVector: Uint8Array }
  | { type: 'step-2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'ack'; client: number; clock: number }
  | { type: 'other' }

function frame(protocol: Protocol, doc: string, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  if (protocol === Protocol.Hocus) encoding.writeVarString(e, doc)
  write(e)
  return encoding.toUint8Array(e)
}

/** Hocuspocus waits for an auth message before it handles anything else on a document. */
export function authFrame(doc: string, token: string): Uint8Array {
  return frame(Protocol.Hocus, doc, (e) => {
    encoding.writeVarUint(e, HOCUS_AUTH)
    encoding.writeVarUint(e, 0)
    encoding.writeVarString(e, token)
  })
}

export function syncStep1Frame(protocol: Protocol, doc: string, stateVector: Uint8Array) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.One)
    encoding.writeVarUint8Array(e, stateVector)
  })
}

export function syncStep2Frame(protocol: Protocol, doc: string, update: Uint8Array) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.Two)
    encoding.writeVarUint8Array(e, update)
  })
}

export function updateFrame(protocol: Protocol, doc: string, update: Uint8Array) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.Update)
    encoding.writeVarUint8Array(e, update)
  })
}

export function decodeFrame(protocol: Protocol, data: Uint8Array): Incoming {
  const d = decoding.createDecoder(data)
  if (protocol === Protocol.Hocus) decoding.readVarString(d)
  const type = decoding.readVarUint(d)
  if (type === MessageType.Ack) {
    const { clientId, clock } = readAck(d)
    return { type: 'ack', client: clientId, clock }
  }
  if (type !== MessageType.Sync && !(protocol === Protocol.Hocus && type === HOCUS_SYNC_REPLY))
    return { type: 'other' }
  const step = decoding.readVarUint(d)
  const payload = decoding.readVarUint8Array(d)
  if (step === SyncStep.One) return { type: 'step-1', stateVector: payload }
  return step === SyncStep.Two
    ? { type: 'step-2', update: payload }
    : { type: 'update', update: payload }
}
