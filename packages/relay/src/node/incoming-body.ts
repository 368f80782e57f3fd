/**
 * @module A request body read straight from Node's IncomingMessage: @hono/node-server would make
 * a Fetch Request with a web stream around it for each read, which cost the provider webhooks a
 * tenth of the event loop under load (bench/README.md, issue 22). Limits as `limitBody` [A5].
 */
import type { HttpBindings } from '@hono/node-server'
import type { Context } from 'hono'
import { bodyTooLarge, type BodyReader } from '../body-limits.ts'

export const readIncomingBody: BodyReader = (c: Context, maxSize: number) => {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming
  // Already read by someone else (or not Node's): the Fetch API's way.
  if (!incoming || incoming.readableEnded || incoming.readableDidRead) return null
  const declared = incoming.headers['content-length']
  if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined) {
    const length = Number(declared)
    if (length > maxSize) return Promise.reject(bodyTooLarge(maxSize))
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxSize) {
        incoming.off('data', onData)
        // The 413 closes the connection; what is left of the body is never buffered.
        incoming.pause()
        reject(bodyTooLarge(maxSize))
        return
      }
      chunks.push(chunk)
    }
    incoming.on('data', onData)
    incoming.once('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    })
    incoming.once('error', reject)
  })
}
