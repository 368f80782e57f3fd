/**
 * @module Faster string decoding for Yjs in the browser. lib0 (Yjs's encoding library) decodes
 * every string of an update with one `TextDecoder.decode` call, whose fixed cost in Chromium
 * dominates for a short string, and a room of 100,000 conversations holds millions of short
 * strings (keys, ids, numbers). Short ASCII strings are decoded here in JavaScript (figures in
 * bench/README.md, workload 6); anything else still goes to the native decoder, so lib0's
 * behaviour (fatal on invalid UTF-8, BOM kept) is unchanged.
 */
import * as string from 'lib0/string'

/** Longer strings are decoded natively, where the per-call cost no longer dominates. */
const MAX_JS_BYTES = 128

/** `bytes` as a string when it is short pure ASCII, else `native(bytes)`. */
export function decodeShortAscii(native: (bytes: Uint8Array) => string, bytes: Uint8Array): string {
  const n = bytes.length
  if (n > MAX_JS_BYTES) return native(bytes)
  for (let i = 0; i < n; i++) if (bytes[i]! > 0x7f) return native(bytes)
  // One string from the char codes: no intermediate strings for the collector.
  return String.fromCharCode.apply(null, bytes as unknown as number[])
}

let installed = false

/** Routes lib0's shared UTF-8 decoder through `decodeShortAscii` (once per page). */
export function installFastUtf8(): void {
  const decoder = string.utf8TextDecoder as TextDecoder | null
  if (installed || !decoder) return
  installed = true
  const native = decoder.decode.bind(decoder)
  decoder.decode = ((input?: AllowSharedBufferSource, options?: TextDecodeOptions) =>
    input instanceof Uint8Array && !options?.stream
      ? decodeShortAscii(native, input)
      : native(input, options)) as TextDecoder['decode']
}
