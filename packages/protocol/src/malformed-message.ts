/** @module The one error of decoding: the bytes are not a frame of this protocol. */

/** Thrown by the decoders on anything that is not a frame they know (the relay closes with 4400). */
export class MalformedMessage extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedMessage'
  }
}
