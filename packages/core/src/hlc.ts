/**
 * @module Hybrid logical clocks [M2, M6].
 *
 * A timestamp is (wall ms, counter, device). Bob's laptop clock may run five minutes behind
 * Alice's; once Bob's replica has seen Alice's mark, `receive` lifts his clock past it, so his
 * next mark still sorts after hers. A remote timestamp further ahead than `maxDrift` is not
 * adopted (P6): one bad clock cannot drag every replica into the future.
 */

export interface Timestamp {
  wall: number
  counter: number
  device: string
}

export interface Hlc {
  readonly deviceId: string
  /** A new timestamp, greater than every one this clock issued or received. */
  tick(): Timestamp
  /**
   * Take a remote timestamp into account; returns false (and ignores it) beyond maxDrift.
   * `trusted` skips the drift check, for timestamps the relay already bounded (stored marks).
   */
  receive(remote: Timestamp | string, options?: { trusted?: boolean }): boolean
  /** The greatest timestamp issued or received so far. */
  peek(): Timestamp
}

export interface HlcOptions {
  /** Remote timestamps more than this many ms ahead of `now()` are ignored. Default 60 s. */
  maxDrift?: number
}

const WALL_DIGITS = 15
const COUNTER_DIGITS = 6
const MAX_COUNTER = 36 ** COUNTER_DIGITS - 1

export const DEFAULT_MAX_DRIFT = 60_000

/** A hybrid logical clock for one device. */
export function createHlc(
  deviceId: string,
  now: () => number = Date.now,
  options: HlcOptions = {},
): Hlc {
  if (!deviceId) throw new Error('createHlc: deviceId must be a non-empty string')
  const maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT
  let last: Timestamp = { wall: 0, counter: 0, device: deviceId }
  return {
    deviceId,
    tick() {
      const wall = Math.max(Math.floor(now()), last.wall)
      const counter = wall === last.wall ? last.counter + 1 : 0
      if (counter > MAX_COUNTER) {
        last = { wall: wall + 1, counter: 0, device: deviceId }
      } else {
        last = { wall, counter, device: deviceId }
      }
      return { ...last }
    },
    receive(remoteIn, receiveOptions) {
      const remote = typeof remoteIn === 'string' ? parseTimestamp(remoteIn) : remoteIn
      if (!receiveOptions?.trusted && remote.wall > now() + maxDrift) return false
      if (remote.wall > last.wall || (remote.wall === last.wall && remote.counter > last.counter)) {
        last = { wall: remote.wall, counter: remote.counter, device: deviceId }
      }
      return true
    },
    peek() {
      return { ...last }
    },
  }
}

/** Total order: wall, then counter, then device id (P2: never Yjs clientID, never arrival). */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return a.device < b.device ? -1 : a.device > b.device ? 1 : 0
}

/** Fixed-width wall and counter, so string order equals `compareTimestamps` order. */
export function formatTimestamp(ts: Timestamp): string {
  return (
    ts.wall.toString().padStart(WALL_DIGITS, '0') +
    '.' +
    ts.counter.toString(36).padStart(COUNTER_DIGITS, '0') +
    '.' +
    ts.device
  )
}

const TIMESTAMP_RE = /^(\d{15})\.([0-9a-z]{6})\.(.+)$/s

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP_RE.test(value)
}

export function parseTimestamp(value: string): Timestamp {
  const m = TIMESTAMP_RE.exec(value)
  if (!m) throw new Error(`parseTimestamp: not an HLC timestamp: ${JSON.stringify(value)}`)
  return { wall: Number(m[1]), counter: parseInt(m[2]!, 36), device: m[3]! }
}

/** The wall-clock part of a serialized timestamp, for display. */
export function timestampWall(value: string): number {
  return Number(value.slice(0, WALL_DIGITS))
}
