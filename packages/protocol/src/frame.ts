/** @module One frame's bytes from the writes of an encoder. */
import * as encoding from 'lib0/encoding'

export function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}
