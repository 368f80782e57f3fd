import { serve, type ServerType } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createNodeWebSocket } from './ws-upgrade.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** An echo route at /ws, and what its upgrades were made of (held weakly). */
async function echoServer() {
  const app = new Hono()
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket(app)
  const made: { request: WeakRef<IncomingMessage>; context: WeakRef<Context> }[] = []
  app.get('/ws', (c) => {
    const incoming = (c.env as { incoming: IncomingMessage }).incoming
    made.push({ request: new WeakRef(incoming), context: new WeakRef(c) })
    if (c.req.query('refuse')) return c.json({ error: 'refused' }, 403)
    return upgradeWebSocket(c, {
      onMessage(evt, ws) {
        ws.send(evt.data as ArrayBuffer)
      },
    })
  })
  const server = await new Promise<ServerType>((res) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => res(s))
  })
  injectWebSocket(server)
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`
  return { server, url, made }
}

let server: ServerType | null = null
afterEach(() => {
  server?.close()
  server = null
})

const echo = async (ws: WebSocket, bytes: number[]) => {
  ws.send(new Uint8Array(bytes))
  const [data] = (await once(ws, 'message')) as [Buffer]
  return [...data]
}

describe('the ws upgrade glue', () => {
  it('keeps nothing of the upgrade request once the socket is open', async () => {
    const s = await echoServer()
    server = s.server
    const ws = new WebSocket(s.url)
    await once(ws, 'open')
    expect(await echo(ws, [1, 2, 3])).toEqual([1, 2, 3])
    // WeakRefs made in a job stay alive until it ends.
    await new Promise((r) => setTimeout(r, 0))
    gc()
    const [made] = s.made
    expect(made!.request.deref()).toBeUndefined()
    expect(made!.context.deref()).toBeUndefined()
    // Still open and served after the collection.
    expect(await echo(ws, [4])).toEqual([4])
    ws.close()
    await once(ws, 'close')
  })

  it("answers a route's refusal with its status and no socket", async () => {
    const s = await echoServer()
    server = s.server
    const ws = new WebSocket(`${s.url}?refuse=1`)
    ws.on('error', () => {})
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
    expect(res.statusCode).toBe(403)
    ws.terminate()
  })
})
