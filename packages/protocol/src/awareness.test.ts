import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import {
  decodeAwareness,
  decodeAwarenessRaw,
  encodeAwareness,
  encodeAwarenessEntries,
  parseAwarenessState,
} from './awareness.ts'
import { decodeMessage } from './decode-message.ts'
import { MalformedMessage } from './malformed-message.ts'

const entry = fc.record({
  clientId: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  clock: fc.maxSafeNat(),
  state: fc.jsonValue(),
})

describe('awareness updates (y-protocols layout)', () => {
  it('decode to the entries they were encoded with (states as JSON gives them back)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const asJson = entries.map((e) => ({ ...e, state: JSON.parse(JSON.stringify(e.state)) }))
        expect(decodeAwareness(encodeAwarenessEntries(entries))).toEqual(asJson)
      }),
    )
  })

  it('a raw entry keeps its state unparsed until asked', () => {
    const [raw] = decodeAwarenessRaw(encodeAwarenessEntries([{ clientId: 1, clock: 2, state: 3 }]))
    expect(new TextDecoder().decode(raw!.json)).toBe('3')
    expect(parseAwarenessState(raw!)).toBe(3)
  })

  it("read y-protocols' own updates, and y-protocols reads ours", () => {
    const theirs = new Awareness(new Y.Doc())
    theirs.setLocalState({ user: { name: 'Alice' }, viewing: 'c1' })
    const [decoded] = decodeAwareness(encodeAwarenessUpdate(theirs, [theirs.clientID]))
    expect(decoded).toMatchObject({ clientId: theirs.clientID, state: theirs.getLocalState() })

    const ours = new Awareness(new Y.Doc())
    applyAwarenessUpdate(ours, encodeAwarenessEntries([{ ...decoded!, clientId: 77 }]), 'test')
    expect(ours.getStates().get(77)).toEqual(theirs.getLocalState())
  })

  it('travel in an awareness frame', () => {
    const update = encodeAwarenessEntries([{ clientId: 1, clock: 1, state: null }])
    expect(decodeMessage(encodeAwareness(update))).toEqual({ type: 'awareness', update })
  })

  it.each([
    [
      'a truncated update',
      encodeAwarenessEntries([{ clientId: 1, clock: 1, state: 'x' }]).slice(0, -1),
    ],
    ['trailing bytes', Uint8Array.from([0, 0])],
  ])('%s is malformed', (_name, update) => {
    expect(() => decodeAwarenessRaw(update)).toThrow(MalformedMessage)
  })

  it('a state that is not JSON is malformed once it is parsed', () => {
    const [raw] = decodeAwarenessRaw(Uint8Array.from([1, 1, 1, 1, 0x7b]))
    expect(() => parseAwarenessState(raw!)).toThrow(MalformedMessage)
  })
})
