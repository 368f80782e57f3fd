/**
 * @module The frames every load client speaks: y-websocket (`y`), Hocuspocus (`hocus`, the same
 * sync messages prefixed by the document name, after an auth message) and Switchboard's ack (100).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const Protocol = { Y: 'y', Hocus: 'hocus' } as const
export type Protocol = (typeof Protocol)[keyof typeof Protocol]

const SYNC = 0
const HOCUS_AUTH = 2
const HOCUS_SYNC_REPLY = 4
const ACK = 100

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
    encoding.writeVarUint(e, SYNC)
    encoding.writeVarUint(e, 0)
    encoding.writeVarUint8Array(e, stateVector)
  })
}

export function syncStep2Frame(protocol: Protocol, doc: string, update: Uint8Array) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, SYNC)
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint8Array(e, update)
  })
}

export function updateFrame(protocol: Protocol, doc: string, update: Uint8Array) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, SYNC)
    encoding.writeVarUint(e, 2)
    encoding.writeVarUint8Array(e, update)
  })
}

export function decodeFrame(protocol: Protocol, data: Uint8Array): Incoming {
  const d = decoding.createDecoder(data)
  if (protocol === Protocol.Hocus) decoding.readVarString(d)
  const type = decoding.readVarUint(d)
  if (type === ACK) {
    const client = decoding.readVarUint(d)
    return { type: 'ack', client, clock: decoding.readVarUint(d) }
  }
  if (type !== SYNC && !(protocol === Protocol.Hocus && type === HOCUS_SYNC_REPLY))
    return { type: 'other' }
  const step = decoding.readVarUint(d)
  const payload = decoding.readVarUint8Array(d)
  if (step === 0) return { type: 'step-1', stateVector: payload }
  return step === 1 ? { type: 'step-2', update: payload } : { type: 'update', update: payload }
}
