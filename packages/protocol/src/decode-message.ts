/**
 * @module The relay's reading of one client frame. Anything but a sync, awareness or query
 * awareness message with nothing after it is malformed, so a hostile frame costs its socket
 * (4400), never the room.
 */
import * as decoding from 'lib0/decoding'
import { MalformedMessage } from './malformed-message.ts'
import { MessageType, SyncStep } from './message-type.ts'

export type IncomingMessage =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array; step: 'step-2' | 'update' }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }

/** Decodes one client frame; throws MalformedMessage on anything else (unknown type, trailing bytes). */
export function decodeMessage(frame: Uint8Array): IncomingMessage {
  let message: IncomingMessage
  const decoder = decoding.createDecoder(frame)
  try {
    const type = decoding.readVarUint(decoder)
    if (type === MessageType.Sync) {
      const step = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      if (step === SyncStep.One) message = { type: 'sync-step-1', stateVector: payload }
      else if (step === SyncStep.Two) message = { type: 'update', update: payload, step: 'step-2' }
      else if (step === SyncStep.Update)
        message = { type: 'update', update: payload, step: 'update' }
      else throw new MalformedMessage(`unknown sync step ${step}`)
    } else if (type === MessageType.Awareness) {
      message = { type: 'awareness', update: decoding.readVarUint8Array(decoder) }
    } else if (type === MessageType.QueryAwareness) {
      message = { type: 'query-awareness' }
    } else {
      throw new MalformedMessage(`unknown message type ${type}`)
    }
  } catch (err) {
    if (err instanceof MalformedMessage) throw err
    throw new MalformedMessage(`truncated frame: ${(err as Error).message}`)
  }
  if (decoding.hasContent(decoder)) throw new MalformedMessage('trailing bytes after the message')
  return message
}
