/** @module The sync frames (y-protocols' sync messages, each in its own frame). */
import * as encoding from 'lib0/encoding'
import { frame } from './frame.ts'
import { MessageType, SyncStep } from './message-type.ts'

const syncFrame = (step: SyncStep, payload: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, step)
    encoding.writeVarUint8Array(e, payload)
  })

/** "Here is what I have": the sender's state vector, answered with a step 2. */
export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array =>
  syncFrame(SyncStep.One, stateVector)

/** The answer to a step 1: everything the asker's state vector lacks. */
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => syncFrame(SyncStep.Two, update)

/** One update, sent as it happens. */
export const encodeUpdate = (update: Uint8Array): Uint8Array => syncFrame(SyncStep.Update, update)
