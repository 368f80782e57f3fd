/**
 * @module Body size limits of the HTTP API [A5], enforced before a body is parsed: a declared
 * `content-length` over the limit is refused before one byte is read, a chunked body as soon as
 * it passes the limit, so no body costs the relay more memory than its route's limit.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'

/** Bytes a request body may have, by route (docs/protocol.md "Limits"). */
export const BODY_LIMITS = {
  /** `POST /api/login`: unauthenticated, holds an email and a password. */
  login: 8 * 1024,
  /** Every other JSON route of `/api/*` (refresh, outgoing, admin). */
  json: 64 * 1024,
} as const

/** The 413 of a body over `maxSize` bytes: a JSON error naming the limit; closes the connection. */
export function bodyTooLarge(maxSize: number): HTTPException {
  return new HTTPException(413, {
    res: new Response(
      JSON.stringify({
        error: `body too large: at most ${maxSize} bytes`,
        field: 'body',
        limit: maxSize,
      }),
      { status: 413, headers: { 'content-type': 'application/json', connection: 'close' } },
    ),
  })
}

/**
 * Reads a request's whole body the runtime's own way, or returns null to leave it to the Fetch
 * API; rejects with `bodyTooLarge(maxSize)` as soon as the body passes `maxSize` [A5].
 */
export type BodyReader = (c: Context, maxSize: number) => Promise<Uint8Array> | null

const readBodies = new WeakMap<Context, Uint8Array>()

/** Refuses a body over `maxSize` bytes with 413 and a JSON error naming the limit. */
export function limitBody(maxSize: number, reader?: BodyReader): MiddlewareHandler {
  const viaFetch = bodyLimit({
    maxSize,
    onError: () => {
      throw bodyTooLarge(maxSize)
    },
  })
  return async (c, next) => {
    // Read here once, whole, so the route takes the bytes (`readBody`) without web streams.
    const reading = reader?.(c, maxSize)
    if (!reading) return viaFetch(c, next)
    readBodies.set(c, await reading)
    await next()
  }
}

/** The request's body as bytes: as `limitBody` read it, else through the Fetch API. */
export async function readBody(c: Context): Promise<Uint8Array> {
  return readBodies.get(c) ?? new Uint8Array(await c.req.arrayBuffer())
}
