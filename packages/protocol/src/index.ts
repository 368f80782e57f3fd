/**
 * @module The wire protocol between relay and clients: y-websocket's messages, Switchboard's ack,
 * and the close codes with what a client does on each (docs/protocol.md).
 */
export { MessageType, SyncStep, isSyncStep2 } from './message-type.ts'
export { encodeSyncStep1, encodeSyncStep2, encodeUpdate } from './sync.ts'
export { encodeAck, decodeAck, readAck, type Ack } from './ack.ts'
export {
  encodeAwareness,
  encodeAwarenessEntries,
  decodeAwareness,
  decodeAwarenessRaw,
  parseAwarenessState,
  type AwarenessEntry,
  type RawAwarenessEntry,
} from './awareness.ts'
export { decodeMessage, type IncomingMessage } from './decode-message.ts'
export { MalformedMessage } from './malformed-message.ts'
export {
  CloseCode,
  Reaction,
  ReactionGroup,
  reactions,
  closeCodes,
  reactionTo,
} from './close-code.ts'
