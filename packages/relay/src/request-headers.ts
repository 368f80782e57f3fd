/**
 * @module Request headers and answers of the providers' webhooks, the relay's busiest HTTP route,
 * without the Fetch API's Headers objects: @hono/node-server builds one from every raw header
 * the first time a header is read, and another for an answer whose headers were set one by one;
 * both showed in the relay's CPU and allocation profiles under webhook load (bench/README.md,
 * workload 9). The runtime glue passes a reader of its own parsed headers (src/node/).
 */
import type { Context } from 'hono'

/** A request header by lower-case name, as `Headers.get` gives it; null: leave it to the Fetch API. */
export type HeaderReader = (c: Context, name: string) => string | undefined | null

/** The request header `name` (lower case) through `reader`, else through the Fetch API. */
export function requestHeader(c: Context, name: string, reader?: HeaderReader): string | undefined {
  const read = reader ? reader(c, name) : null
  return read === null ? c.req.header(name) : read
}

const securedAnswers = new WeakSet<Response>()
const answerHeaders = new WeakMap<Context, Readonly<Record<string, string>>>()

/** Headers every answer of this request carries (security-headers.ts sets them for webhooks). */
export function setAnswerHeaders(c: Context, headers: Readonly<Record<string, string>>): void {
  answerHeaders.set(c, headers)
}

/** True when `res` was made by `reply` with the request's answer headers already in it. */
export function carriesAnswerHeaders(res: Response): boolean {
  return securedAnswers.has(res)
}

/**
 * An answer with its headers as a plain record (with those of `setAnswerHeaders`), which the
 * Node server writes as they are.
 */
export function reply(c: Context, status: number, body: string, contentType: string): Response {
  const common = answerHeaders.get(c)
  const res = new Response(body, {
    status,
    headers: { ...common, 'content-type': contentType },
  })
  if (common) securedAnswers.add(res)
  return res
}

/** A JSON answer (`reply`). */
export function replyJson(c: Context, body: unknown, status: number): Response {
  return reply(c, status, JSON.stringify(body), 'application/json')
}
