/**
 * @module A request header read from Node's IncomingMessage, which parsed them already: read
 * through the Fetch API, @hono/node-server first builds a Headers object of every raw header.
 * Repeated headers are joined with ", " as `Headers.get` joins them.
 */
import type { HttpBindings } from '@hono/node-server'
import type { Context } from 'hono'
import type { HeaderReader } from '../request-headers.ts'

export const readIncomingHeader: HeaderReader = (c: Context, name: string) => {
  const raw = (c.env as Partial<HttpBindings> | undefined)?.incoming?.rawHeaders
  if (!raw) return null
  let value: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!
    if (key.length === name.length && (key === name || key.toLowerCase() === name))
      value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`
  }
  return value
}
