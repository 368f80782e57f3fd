import fc from 'fast-check'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  compareTimestamps,
  createHlc,
  formatTimestamp,
  getConversation,
  isTimestamp,
  markConversation,
  parseRoom,
  parseTimestamp,
  validateUpdate,
  type Room,
  type Timestamp,
} from '../src/index.ts'
import { device, inboxWith, recordUpdates, sync, T0 } from './helpers.ts'

const deviceId = fc.stringMatching(/^[A-Za-z0-9_.+\-~]{1,16}$/)
const timestamp: fc.Arbitrary<Timestamp> = fc.record({
  wall: fc.oneof(fc.integer({ min: 0, max: 10 ** 15 - 1 }), fc.integer({ min: T0, max: T0 + 5 })),
  counter: fc.oneof(fc.integer({ min: 0, max: 36 ** 6 - 1 }), fc.integer({ min: 0, max: 3 })),
  device: fc.oneof(deviceId, fc.constantFrom('a', 'b', 'a.b', 'A')),
})
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0)
const strCmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

describe('HLC [M2, M6]', () => {
  it('[M2] timestamp order is total: antisymmetric, transitive, equal only when identical', () => {
    fc.assert(
      fc.property(timestamp, timestamp, timestamp, (a, b, c) => {
        // a sum, not a negation: Object.is(0, -0) is false when a and b are identical
        expect(sign(compareTimestamps(a, b)) + sign(compareTimestamps(b, a))).toBe(0)
        expect(compareTimestamps(a, b) === 0).toBe(
          a.wall === b.wall && a.counter === b.counter && a.device === b.device,
        )
        if (compareTimestamps(a, b) <= 0 && compareTimestamps(b, c) <= 0)
          expect(compareTimestamps(a, c)).toBeLessThanOrEqual(0)
      }),
      { numRuns: 2000 },
    )
  })

  it('[M2] formatTimestamp sorts exactly as compareTimestamps', () => {
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        expect(strCmp(formatTimestamp(a), formatTimestamp(b))).toBe(sign(compareTimestamps(a, b)))
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(fc.array(timestamp, { maxLength: 30 }), (list) => {
        const byCompare = [...list].sort(compareTimestamps).map(formatTimestamp)
        expect([...list].map(formatTimestamp).sort()).toEqual(byCompare)
      }),
    )
  })

  it('parseTimestamp ∘ formatTimestamp is the identity', () => {
    fc.assert(
      fc.property(timestamp, (ts) => {
        const text = formatTimestamp(ts)
        expect(isTimestamp(text)).toBe(true)
        expect(parseTimestamp(text)).toEqual(ts)
        expect(formatTimestamp(parseTimestamp(text))).toBe(text)
      }),
      { numRuns: 2000 },
    )
    expect(() => parseTimestamp('nope')).toThrow()
    expect(() => createHlc('')).toThrow()
  })

  it('[M2] tick is strictly increasing even when the wall clock goes backwards, and passes every accepted receive', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ jump: fc.integer({ min: -100_000, max: 100_000 }) }),
            fc.record({ remote: timestamp }),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          let now = T0
          const clock = createHlc('me', () => now)
          let floor: Timestamp = { wall: 0, counter: 0, device: '' }
          for (const step of steps) {
            if ('jump' in step) {
              now = Math.max(0, now + step.jump)
              const ts = clock.tick()
              expect(ts.device).toBe('me')
              expect(compareTimestamps(ts, floor)).toBeGreaterThan(0)
              floor = ts
            } else if (clock.receive(formatTimestamp(step.remote))) {
              if (compareTimestamps(step.remote, floor) > 0) floor = step.remote
            }
          }
          expect(compareTimestamps(clock.tick(), floor)).toBeGreaterThan(0)
        },
      ),
    )
  })

  it('[M6] an HLC does not adopt a remote timestamp beyond maxDrift (caller-set)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 3_600_000 }),
        fc.integer({ min: 1, max: 10 * 3_600_000 }),
        (maxDrift, beyond) => {
          const clock = createHlc('me', () => T0, { maxDrift })
          const far = { wall: T0 + maxDrift + beyond, counter: 0, device: 'fast' }
          expect(clock.receive(far)).toBe(false)
          expect(compareTimestamps(clock.tick(), far)).toBeLessThan(0)
          const near = { wall: T0 + maxDrift, counter: 7, device: 'ok' }
          expect(clock.receive(near)).toBe(true)
          expect(compareTimestamps(clock.tick(), near)).toBeGreaterThan(0)
        },
      ),
    )
  })

  it('[M6] P6: a device clock far ahead cannot win — the relay rejects its marks and honest marks decide', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 600_000 }),
        fc.integer({ min: 1, max: 8 * 3_600_000 }),
        (maxDrift, ahead) => {
          const { doc: relay } = inboxWith('c1')
          const fast = new Y.Doc()
          const honest = new Y.Doc()
          sync(relay, fast, honest)
          const fastUpdates = recordUpdates(fast)
          const honestUpdates = recordUpdates(honest)
          markConversation(
            fast,
            'c1',
            'done',
            device('mallory', 'fast', T0 + maxDrift + ahead).author,
          )
          markConversation(honest, 'c1', 'unread', device('alice', 'alice-web', T0).author)
          const room = parseRoom('inbox:pn1') as Room
          const at = { room, now: T0, maxDrift }
          expect(
            validateUpdate(relay, Y.mergeUpdates(fastUpdates), { ...at, memberId: 'mallory' }),
          ).toMatchObject({ ok: false, code: 'clock-drift' })
          const update = Y.mergeUpdates(honestUpdates)
          expect(validateUpdate(relay, update, { ...at, memberId: 'alice' })).toEqual({ ok: true })
          Y.applyUpdate(relay, update)
          expect(getConversation(relay, 'c1')).toMatchObject({ status: 'open', unread: true })
        },
      ),
      { numRuns: 50 },
    )
  })
})
