/**
 * @module The y-websocket wire format, plus Switchboard's ack message (docs/protocol.md).
 *
 * Message types: 0 sync (step 1 / step 2 / update), 1 awareness, 3 query awareness, and
 * 100 ack = `[100][clientID][clock]`: "every struct of clientID with clock < value is stored".
 * Unmodified providers never ask for acks, so they never see type 100.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, Ack: 100 } as const
export const SyncStep = { One: 0, Two: 1, Update: 2 } as const

/** Close codes, grouped by how the client reacts (docs/protocol.md). */
export const CloseCode = {
  GoingAway: 1001,
  /** The room dropped its memory and loads again from its log: reconnect. */
  Reloading: 1012,
  Malformed: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  /** The session ended (signed out, revoked, refresh token reused, member removed): sign out. */
  SessionEnded: 4410,
  /** The room started a new epoch: adopt it (fresh document, replay own entries) and reconnect. */
  EpochChanged: 4409,
  TooLarge: 4413,
  Rejected: 4422,
  /** The socket declared a device id bound to another member: mint a new one, reconnect [L1]. */
  DeviceTaken: 4423,
  /** A slow consumer, an update held too long, or a member over the socket cap: back off. */
  SlowConsumer: 4429,
  Unreadable: 4500,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

export type IncomingMessage =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array; step: 'step-2' | 'update' }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }

export class MalformedMessage extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedMessage'
  }
}

/** A sync step 2, from its first two bytes (both types are one-byte varuints): no decode needed. */
export function isSyncStep2(frame: Uint8Array): boolean {
  return frame[0] === MessageType.Sync && frame[1] === SyncStep.Two
}

/** Decodes one client frame; throws MalformedMessage on anything else (unknown type, trailing bytes). */
export function decodeMessage(frame: Uint8Array): IncomingMessage {
  let message: IncomingMessage
  const decoder = decoding.createDecoder(frame)
  try {
    const type = decoding.readVarUint(decoder)
    if (type === MessageType.Sync) {
      const step = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      if (step === SyncStep.One) message = { type: 'sync-step-1', stateVector: payload }
      else if (step === SyncStep.Two) message = { type: 'update', update: payload, step: 'step-2' }
      else if (step === SyncStep.Update)
        message = { type: 'update', update: payload, step: 'update' }
      else throw new MalformedMessage(`unknown sync step ${step}`)
    } else if (type === MessageType.Awareness) {
      message = { type: 'awareness', update: decoding.readVarUint8Array(decoder) }
    } else if (type === MessageType.QueryAwareness) {
      message = { type: 'query-awareness' }
    } else {
      throw new MalformedMessage(`unknown message type ${type}`)
    }
  } catch (err) {
    if (err instanceof MalformedMessage) throw err
    throw new MalformedMessage(`truncated frame: ${(err as Error).message}`)
  }
  if (decoding.hasContent(decoder)) throw new MalformedMessage('trailing bytes after the message')
  return message
}

const frame = (write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}

export const encodeSyncStep1 = (stateVector: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.One)
    encoding.writeVarUint8Array(e, stateVector)
  })

export const encodeSyncStep2 = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.Two)
    encoding.writeVarUint8Array(e, update)
  })

export const encodeUpdate = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync)
    encoding.writeVarUint(e, SyncStep.Update)
    encoding.writeVarUint8Array(e, update)
  })

export const encodeAwareness = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Awareness)
    encoding.writeVarUint8Array(e, update)
  })

export const encodeAck = (clientId: number, clock: number) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Ack)
    encoding.writeVarUint(e, clientId)
    encoding.writeVarUint(e, clock)
  })

export function decodeAck(data: Uint8Array): { clientId: number; clock: number } | null {
  const d = decoding.createDecoder(data)
  if (decoding.readVarUint(d) !== MessageType.Ack) return null
  return { clientId: decoding.readVarUint(d), clock: decoding.readVarUint(d) }
}

export interface AwarenessEntry {
  clientId: number
  clock: number
  state: unknown
}

/** An awareness entry whose state is still JSON text (parsed only when it is kept). */
export interface RawAwarenessEntry {
  clientId: number
  clock: number
  /** The state's UTF-8 JSON bytes, a view into the frame. */
  json: Uint8Array
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The state of a raw entry; throws MalformedMessage when it is not JSON. */
export function parseAwarenessState(entry: RawAwarenessEntry): unknown {
  try {
    return JSON.parse(utf8.decode(entry.json)) as unknown
  } catch (err) {
    throw new MalformedMessage(`bad awareness state: ${(err as Error).message}`)
  }
}

/**
 * Splits an awareness update (y-protocols layout) into entries without parsing their states, so
 * an echo or an oversized state costs no JSON parse; throws MalformedMessage when it is not one.
 */
export function decodeAwarenessRaw(update: Uint8Array): RawAwarenessEntry[] {
  const d = decoding.createDecoder(update)
  try {
    const n = decoding.readVarUint(d)
    const entries: RawAwarenessEntry[] = []
    for (let i = 0; i < n; i++) {
      const clientId = decoding.readVarUint(d)
      const clock = decoding.readVarUint(d)
      entries.push({ clientId, clock, json: decoding.readVarUint8Array(d) })
    }
    if (decoding.hasContent(d)) throw new Error('trailing bytes')
    return entries
  } catch (err) {
    throw new MalformedMessage(`bad awareness update: ${(err as Error).message}`)
  }
}

/** Decodes an awareness update (y-protocols layout); throws MalformedMessage when it is not one. */
export function decodeAwareness(update: Uint8Array): AwarenessEntry[] {
  return decodeAwarenessRaw(update).map((e) => ({
    clientId: e.clientId,
    clock: e.clock,
    state: parseAwarenessState(e),
  }))
}

export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, entries.length)
    for (const { clientId, clock, state } of entries) {
      encoding.writeVarUint(e, clientId)
      encoding.writeVarUint(e, clock)
      encoding.writeVarString(e, JSON.stringify(state))
    }
  })
}
