/**
 * @module A file of updates, each prefixed by its length (4 bytes, big-endian): a room's history
 * cut into frames the peers accept (`ws` refuses frames over 100 MiB by default).
 */
import { readFileSync, writeFileSync } from 'node:fs'

export function writeChunks(file: string, chunks: readonly Uint8Array[]): void {
  const out = Buffer.alloc(chunks.reduce((n, c) => n + 4 + c.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    out.writeUInt32BE(c.byteLength, at)
    out.set(c, at + 4)
    at += 4 + c.byteLength
  }
  writeFileSync(file, out)
}

export function readChunks(file: string): Uint8Array[] {
  const data = readFileSync(file)
  const chunks: Uint8Array[] = []
  for (let at = 0; at < data.byteLength;) {
    const n = data.readUInt32BE(at)
    if (at + 4 + n > data.byteLength) throw new Error(`${file}: truncated chunk at byte ${at}`)
    chunks.push(new Uint8Array(data.buffer, data.byteOffset + at + 4, n))
    at += 4 + n
  }
  return chunks
}
