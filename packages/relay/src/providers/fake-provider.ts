/**
 * @module A fake provider API for tests, served on 127.0.0.1 by the test: it records every request
 * and answers with what the test's handler says (a status and a JSON body), or holds the request
 * until the test lets it go.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeRequest {
  method: string
  /** Path and query. */
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type FakeAnswer = { status: number; body?: unknown } | 'hold'

export interface FakeProvider {
  url: string
  requests: FakeRequest[]
  /** How the next requests are answered. */
  answer: (request: FakeRequest) => FakeAnswer
  /** Answers every held request with `answer`. */
  release(answer: { status: number; body?: unknown }): void
  close(): Promise<void>
}

export async function startFakeProvider(
  answer: FakeProvider['answer'] = () => ({ status: 500 }),
  /** A port to listen on (again); any free one by default. */
  port = 0,
): Promise<FakeProvider> {
  const held: ServerResponse[] = []
  const reply = (res: ServerResponse, a: { status: number; body?: unknown }) => {
    res.writeHead(a.status, { 'content-type': 'application/json' })
    res.end(a.body === undefined ? '' : JSON.stringify(a.body))
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      fake.requests.push(request)
      const a = fake.answer(request)
      if (a === 'hold') held.push(res)
      else reply(res, a)
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const fake: FakeProvider = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: [],
    answer,
    release(a) {
      for (const res of held.splice(0)) if (!res.destroyed) reply(res, a)
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of held.splice(0)) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return fake
}
