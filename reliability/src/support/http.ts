/**
 * @module Plain HTTP requests to a relay from a chosen client address: the loopback range
 * 127.0.0.0/8 is all this host's, so each attacker or member can have an address of its own.
 */
import { request } from 'node:http'

export interface Answer {
  status: number
  ms: number
}

/** POSTs JSON to 127.0.0.1:`port` from `localAddress` on a connection of its own. */
export function postJson(
  port: number,
  path: string,
  body: unknown,
  localAddress: string,
): Promise<Answer> {
  const raw = JSON.stringify(body)
  const started = performance.now()
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw) },
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }),
        )
      },
    )
    req.on('error', reject)
    req.end(raw)
  })
}

/** How many answers have `status`. */
export const countStatus = (answers: readonly Answer[], status: number) =>
  answers.filter((a) => a.status === status).length
