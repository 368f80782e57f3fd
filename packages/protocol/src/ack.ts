/**
 * @module The ack, Switchboard's one message beyond y-websocket (docs/protocol.md):
 * `[varUint 100][varUint clientID][varUint clock]` means "the relay has durably stored every
 * struct of clientID with clock < value". Acks are cumulative, so a lost one is covered by the next.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { frame } from './frame.ts'
import { MessageType } from './message-type.ts'

/** Every struct of `clientId` with a clock below `clock` is stored. */
export interface Ack {
  clientId: number
  clock: number
}

export const encodeAck = (clientId: number, clock: number): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Ack)
    encoding.writeVarUint(e, clientId)
    encoding.writeVarUint(e, clock)
  })

/** An ack's body, from a decoder past its message type (a y-websocket message handler's). */
export function readAck(decoder: decoding.Decoder): Ack {
  const clientId = decoding.readVarUint(decoder)
  return { clientId, clock: decoding.readVarUint(decoder) }
}

/** The ack in a whole frame, or null when the frame is another message. */
export function decodeAck(data: Uint8Array): Ack | null {
  const d = decoding.createDecoder(data)
  if (decoding.readVarUint(d) !== MessageType.Ack) return null
  return readAck(d)
}
