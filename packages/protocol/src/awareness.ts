/**
 * @module Awareness (presence) frames in y-protocols' layout: `[count]` then, per entry,
 * `[clientID][clock][state as JSON text]`. The relay splits an update into raw entries first, so
 * an echo or an oversized state costs no JSON parse.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { frame } from './frame.ts'
import { MalformedMessage } from './malformed-message.ts'
import { MessageType } from './message-type.ts'

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

/** An awareness frame carrying one awareness update. */
export const encodeAwareness = (update: Uint8Array): Uint8Array =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.Awareness)
    encoding.writeVarUint8Array(e, update)
  })

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

/** Splits an awareness update into entries without parsing their states; throws MalformedMessage. */
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

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The state of a raw entry; throws MalformedMessage when it is not JSON. */
export function parseAwarenessState(entry: RawAwarenessEntry): unknown {
  try {
    return JSON.parse(utf8.decode(entry.json)) as unknown
  } catch (err) {
    throw new MalformedMessage(`bad awareness state: ${(err as Error).message}`)
  }
}

/** Decodes an awareness update with its states; throws MalformedMessage when it is not one. */
export function decodeAwareness(update: Uint8Array): AwarenessEntry[] {
  return decodeAwarenessRaw(update).map((e) => ({
    clientId: e.clientId,
    clock: e.clock,
    state: parseAwarenessState(e),
  }))
}
