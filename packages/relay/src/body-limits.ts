/**
 * @module Body size limits of the HTTP API [A5], enforced before a body is parsed: a declared
 * `content-length` over the limit is refused before one byte is read, a chunked body as soon as
 * it passes the limit, so no body costs the relay more memory than its route's limit.
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'

/** Bytes a request body may have, by route (docs/protocol.md "Limits"). */
export const BODY_LIMITS = {
  /** `POST /api/login`: unauthenticated, holds an email and a password. */
  login: 8 * 1024,
  /** Every other JSON route of `/api/*` (refresh, outgoing, admin). */
  json: 64 * 1024,
} as const

/** Refuses a body over `maxSize` bytes with 413 and a JSON error naming the limit. */
export function limitBody(maxSize: number): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HTTPException(413, {
        res: new Response(
          JSON.stringify({
            error: `body too large: at most ${maxSize} bytes`,
            field: 'body',
            limit: maxSize,
          }),
          { status: 413, headers: { 'content-type': 'application/json', connection: 'close' } },
        ),
      })
    },
  })
}
