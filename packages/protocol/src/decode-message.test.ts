import * as fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { encodeAck } from './ack.ts'
import { encodeAwareness } from './awareness.ts'
import { decodeMessage } from './decode-message.ts'
import { MalformedMessage } from './malformed-message.ts'
import { isSyncStep2, MessageType, SyncStep } from './message-type.ts'
import { encodeSyncStep1, encodeSyncStep2, encodeUpdate } from './sync.ts'

const bytes = fc.uint8Array({ maxLength: 300 })

function yProtocolsFrame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.Sync)
  write(e)
  return encoding.toUint8Array(e)
}

describe('sync frames', () => {
  it('decode to the step and payload they were encoded with', () => {
    fc.assert(
      fc.property(bytes, (payload) => {
        expect(decodeMessage(encodeSyncStep1(payload))).toEqual({
          type: 'sync-step-1',
          stateVector: payload,
        })
        expect(decodeMessage(encodeSyncStep2(payload))).toEqual({
          type: 'update',
          update: payload,
          step: 'step-2',
        })
        expect(decodeMessage(encodeUpdate(payload))).toEqual({
          type: 'update',
          update: payload,
          step: 'update',
        })
      }),
    )
  })

  it("are y-protocols' sync messages byte for byte, so an unmodified provider reads them", () => {
    const doc = new Y.Doc()
    doc.getMap('marks').set('c1', 'done')
    const sv = Y.encodeStateVector(doc)
    const update = Y.encodeStateAsUpdate(doc)
    expect(encodeSyncStep1(sv)).toEqual(yProtocolsFrame((e) => syncProtocol.writeSyncStep1(e, doc)))
    expect(encodeSyncStep2(update)).toEqual(
      yProtocolsFrame((e) => syncProtocol.writeSyncStep2(e, doc)),
    )
    expect(encodeUpdate(update)).toEqual(
      yProtocolsFrame((e) => syncProtocol.writeUpdate(e, update)),
    )
  })

  it('a sync step 2 is told from its first two bytes exactly when decoding says so', () => {
    const frames = fc.oneof(
      bytes.map(encodeSyncStep1),
      bytes.map(encodeSyncStep2),
      bytes.map(encodeUpdate),
      bytes.map(encodeAwareness),
      bytes,
    )
    fc.assert(
      fc.property(frames, (frame) => {
        let step2 = false
        try {
          const m = decodeMessage(frame)
          step2 = m.type === 'update' && m.step === 'step-2'
        } catch {
          return // a malformed frame is refused whatever its first bytes say
        }
        expect(isSyncStep2(frame)).toBe(step2)
      }),
    )
  })
})

describe('a client frame the relay cannot read is malformed (4400), never another error', () => {
  it('whatever its bytes', () => {
    fc.assert(
      fc.property(bytes, (frame) => {
        try {
          decodeMessage(frame)
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedMessage)
        }
      }),
    )
  })

  it.each([
    ['an empty frame', new Uint8Array(0)],
    ['trailing bytes after a message', Uint8Array.from([...encodeUpdate(new Uint8Array(2)), 0])],
    ['an unknown sync step', Uint8Array.from([MessageType.Sync, 3, 0])],
    ['an ack (the relay sends acks, it takes none)', encodeAck(1, 1)],
    ['an auth message (y-websocket never sends one)', Uint8Array.from([MessageType.Auth, 0])],
    ['a payload longer than the frame', Uint8Array.from([MessageType.Sync, SyncStep.Two, 9, 1])],
  ])('%s', (_name, frame) => {
    expect(() => decodeMessage(frame)).toThrow(MalformedMessage)
  })
})

it('query awareness is the one-byte message 3', () => {
  expect(decodeMessage(Uint8Array.from([MessageType.QueryAwareness]))).toEqual({
    type: 'query-awareness',
  })
})
