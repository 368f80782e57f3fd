/**
 * @module Hostile frames: the known crash inputs of Yjs servers, and a seeded mutational fuzzer
 * over a corpus of valid frames for one room.
 */
import { createHlc, markConversation, pinConversation } from '@switchboard/core'
import type { Prng } from '@switchboard/core/testing'
import { encodeAck, MessageType, type SyncStep } from '@switchboard/protocol'
import * as encoding from 'lib0/encoding'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'

export const frame = (write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}

const varUints = (...n: number[]) => frame((e) => n.forEach((x) => encoding.writeVarUint(e, x)))
export const syncFrame = (step: SyncStep, payload: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, step)
    encoding.writeVarUint8Array(e, payload)
  })
export const awarenessFrame = (payload: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Awareness)
    encoding.writeVarUint8Array(e, payload)
  })

function awarenessEntries(entries: { clientId: number; clock: number; state: string }[]) {
  return frame((e) => {
    encoding.writeVarUint(e, entries.length)
    for (const x of entries) {
      encoding.writeVarUint(e, x.clientId)
      encoding.writeVarUint(e, x.clock)
      encoding.writeVarString(e, x.state)
    }
  })
}

/** A valid update of `memberId` marking conversations of an inbox room. */
export function validMarkUpdate(memberId: string, deviceId: string, n = 3): Uint8Array {
  const doc = new Y.Doc()
  const author = { memberId, deviceId, clock: createHlc(deviceId) }
  for (let i = 0; i < n; i++) markConversation(doc, `c${i}`, i % 2 ? 'done' : 'unread', author)
  pinConversation(doc, 'c0', author)
  return Y.encodeStateAsUpdate(doc)
}

export interface HostileCase {
  name: string
  frames: (Uint8Array | string)[]
  /** What the relay should do with the socket. */
  expect: 'close' | 'open'
}

/** The known crash inputs of Yjs servers (issue 8 §4), for a room `memberId` may write. */
export function hostileCases(memberId: string, maxFrameBytes: number): HostileCase[] {
  const update = validMarkUpdate(memberId, `dev-${memberId}-hostile`)
  const nested = new Y.Doc()
  let map = nested.getMap('marks')
  for (let i = 0; i < 2000; i++) {
    const child = new Y.Map()
    map.set('k', child)
    map = child
  }
  const deepJson = '['.repeat(200_000) + ']'.repeat(200_000)
  const flood = awarenessEntries(
    Array.from({ length: 5000 }, (_, i) => ({
      clientId: 10_000 + i,
      clock: 1,
      state: '{"user":"x"}',
    })),
  )
  return [
    { name: 'text frame', frames: ['hello relay'], expect: 'close' },
    { name: 'message type 4294967296', frames: [varUints(4294967296)], expect: 'close' },
    { name: 'sync step 4294967296', frames: [varUints(0, 4294967296)], expect: 'close' },
    {
      name: 'payload length 4294967296 (claims 4 GiB)',
      frames: [varUints(0, 2, 4294967296, 1, 2, 3)],
      expect: 'close',
    },
    {
      name: 'truncated update',
      frames: [syncFrame(2, update.subarray(0, Math.floor(update.length / 2)))],
      expect: 'close',
    },
    {
      name: 'update claiming 4e9 structs',
      frames: [syncFrame(2, varUints(1, 4_000_000_000, 5, 0))],
      expect: 'close',
    },
    {
      name: 'update claiming 4e9 clients',
      frames: [syncFrame(2, varUints(4_000_000_000))],
      expect: 'close',
    },
    {
      name: 'delete set claiming 4e9 ranges',
      frames: [syncFrame(2, varUints(0, 1, 5, 4_000_000_000))],
      expect: 'close',
    },
    {
      name: 'state vector claiming 4e9 clients',
      frames: [syncFrame(0, varUints(4_000_000_000))],
      expect: 'close',
    },
    {
      name: 'GC struct 4e9 long (clock squatting)',
      frames: [
        syncFrame(
          2,
          frame((e) => {
            for (const n of [1, 1, 4242, 0]) encoding.writeVarUint(e, n)
            encoding.writeUint8(e, 0)
            encoding.writeVarUint(e, 4_000_000_000)
            encoding.writeVarUint(e, 0)
          }),
        ),
      ],
      // Members write no garbage-collected structs [M8]: refused with 4422, nothing stored.
      expect: 'close',
    },
    {
      name: 'struct past a 4e9 clock gap',
      frames: [
        syncFrame(
          2,
          frame((e) => {
            for (const n of [1, 1, 4343, 4_000_000_000]) encoding.writeVarUint(e, n)
            encoding.writeUint8(e, 0)
            encoding.writeVarUint(e, 3)
            encoding.writeVarUint(e, 0)
          }),
        ),
      ],
      expect: 'open',
    },
    {
      name: '2000 nested Y.Maps',
      frames: [syncFrame(2, Y.encodeStateAsUpdate(nested))],
      expect: 'close',
    },
    {
      name: 'awareness state nested 200,000 deep',
      frames: [awarenessFrame(awarenessEntries([{ clientId: 7, clock: 1, state: deepJson }]))],
      // Over the presence cap (SPEC [L5]): 4413 before its JSON is parsed.
      expect: 'close',
    },
    {
      name: `oversized frame (${maxFrameBytes + 1} bytes)`,
      frames: [new Uint8Array(maxFrameBytes + 1)],
      expect: 'close',
    },
    {
      name: 'awareness flood: 5,000 invented client ids × 20 frames',
      frames: Array.from({ length: 20 }, () => awarenessFrame(flood)),
      expect: 'open',
    },
    {
      name: 'ack message (type 100) from a client',
      frames: [encodeAck(1, 1)],
      expect: 'close',
    },
    { name: 'empty frame', frames: [new Uint8Array(0)], expect: 'close' },
  ]
}

/** Valid frames for one room, to mutate. */
export function corpus(memberId: string): Uint8Array[] {
  const aw = new Awareness(new Y.Doc())
  aw.setLocalState({ user: { name: 'fuzz' }, viewing: 'c1' })
  const update = validMarkUpdate(memberId, `dev-${memberId}-fuzz`)
  return [
    syncFrame(0, Y.encodeStateVector(new Y.Doc())),
    syncFrame(0, varUints(2, 12345, 7, 999, 3)),
    syncFrame(1, update),
    syncFrame(2, update),
    syncFrame(2, validMarkUpdate(memberId, `dev-${memberId}-fuzz2`, 1)),
    awarenessFrame(encodeAwarenessUpdate(aw, [aw.clientID])),
    varUints(MessageType.QueryAwareness),
    encodeAck(5, 5),
  ]
}

/** One fuzzed frame: a corpus frame under a random mutation, or random bytes. */
export function fuzzFrame(prng: Prng, base: readonly Uint8Array[]): Uint8Array {
  const src = prng.pick(base)
  const out = Uint8Array.from(src)
  switch (prng.int(9)) {
    case 0: // bit flips
      for (let i = prng.range(1, 4); i > 0; i--)
        if (out.length) out[prng.int(out.length)]! ^= 1 << prng.int(8)
      return out
    case 1: // byte replaced by a boundary value
      if (out.length) out[prng.int(out.length)] = prng.pick([0, 0x7f, 0x80, 0xff])
      return out
    case 2: // truncated
      return out.subarray(0, prng.int(out.length + 1))
    case 3: // random bytes appended
      return Uint8Array.from([
        ...out,
        ...Array.from({ length: prng.range(1, 16) }, () => prng.int(256)),
      ])
    case 4: {
      // a huge varint spliced in
      const at = prng.int(out.length + 1)
      const big = varUints(prng.pick([2 ** 31, 2 ** 32, 2 ** 53 - 1, 4_000_000_000]))
      return Uint8Array.from([...out.subarray(0, at), ...big, ...out.subarray(at)])
    }
    case 5: // random bytes
      return Uint8Array.from({ length: prng.range(0, 64) }, () => prng.int(256))
    case 6: // two frames glued
      return Uint8Array.from([...out, ...prng.pick(base)])
    case 7: {
      // a segment duplicated
      const a = prng.int(out.length + 1)
      const b = Math.min(out.length, a + prng.range(1, 8))
      return Uint8Array.from([...out.subarray(0, b), ...out.subarray(a, b), ...out.subarray(b)])
    }
    default: // valid frame, unchanged
      return out
  }
}
