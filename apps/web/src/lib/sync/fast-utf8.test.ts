import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as string from 'lib0/string'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeShortAscii, installFastUtf8 } from './fast-utf8.ts'

const native = (bytes: Uint8Array) =>
  new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
const utf8 = (s: string) => new TextEncoder().encode(s)

describe('decodeShortAscii', () => {
  it('decodes what the native decoder decodes, for ASCII, non-ASCII, empty and long strings', () => {
    for (const s of [
      '',
      'c-000123',
      'conversationId',
      '+14155550142',
      'Chloé',
      'emoji 📞 call',
      'x'.repeat(500),
      '\u007f\u0000',
    ])
      expect(decodeShortAscii(native, utf8(s))).toBe(s)
  })

  it('leaves invalid UTF-8 and the BOM to the native decoder', () => {
    expect(() => decodeShortAscii(native, new Uint8Array([0x61, 0xff]))).toThrow()
    expect(decodeShortAscii(native, new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa')
  })
})

describe('installFastUtf8', () => {
  it("lib0's string reads and a Yjs document round-trip unchanged once installed", () => {
    const doc = new Y.Doc()
    doc.getMap('conversations').set('c-1', {
      id: 'c-1',
      contactName: 'Chloé Park',
      preview: 'Hi 👋, order 123',
      participants: ['+14155550142'],
    })
    const update = Y.encodeStateAsUpdate(doc)
    installFastUtf8()
    installFastUtf8()
    expect(string.utf8TextDecoder!.decode).not.toBe(TextDecoder.prototype.decode)
    const encoder = encoding.createEncoder()
    for (const s of ['ascii', 'Ünïcode', '']) encoding.writeVarString(encoder, s)
    const decoder = decoding.createDecoder(encoding.toUint8Array(encoder))
    expect([1, 2, 3].map(() => decoding.readVarString(decoder))).toEqual(['ascii', 'Ünïcode', ''])
    expect(string.decodeUtf8(utf8('plain'))).toBe('plain')
    const loaded = new Y.Doc()
    Y.applyUpdate(loaded, update)
    expect(loaded.getMap('conversations').toJSON()).toEqual(doc.getMap('conversations').toJSON())
    expect(() => string.utf8TextDecoder!.decode(new Uint8Array([0xc3]))).toThrow()
  })
})
