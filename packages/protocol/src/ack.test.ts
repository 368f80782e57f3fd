import * as fc from 'fast-check'
import * as decoding from 'lib0/decoding'
import { describe, expect, it } from 'vitest'
import { decodeAck, encodeAck, readAck } from './ack.ts'
import { MessageType } from './message-type.ts'
import { encodeUpdate } from './sync.ts'

const clientId = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const clock = fc.maxSafeNat()

describe('the ack (docs/protocol.md "Ack")', () => {
  it('is three varUints: type 100, the client id, the clock', () => {
    expect([...encodeAck(7, 42)]).toEqual([MessageType.Ack, 7, 42])
  })

  it('decodes to the client id and clock it was encoded with', () => {
    fc.assert(
      fc.property(clientId, clock, (id, c) => {
        expect(decodeAck(encodeAck(id, c))).toEqual({ clientId: id, clock: c })
      }),
    )
  })

  it('reads the same from a decoder past its type, as a y-websocket message handler gets it', () => {
    fc.assert(
      fc.property(clientId, clock, (id, c) => {
        const d = decoding.createDecoder(encodeAck(id, c))
        expect(decoding.readVarUint(d)).toBe(MessageType.Ack)
        expect(readAck(d)).toEqual({ clientId: id, clock: c })
        expect(decoding.hasContent(d)).toBe(false)
      }),
    )
  })

  it('a frame of another message is no ack', () => {
    expect(decodeAck(encodeUpdate(new Uint8Array([1, 2, 3])))).toBeNull()
  })
})
