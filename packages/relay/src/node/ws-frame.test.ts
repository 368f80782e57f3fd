import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { WebSocket, WebSocketServer } from 'ws'
import { binaryFrame, frameStream, gateFrames } from './ws-frame.ts'

// ws exports its Sender, though its type declarations do not list it.
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: object): Buffer[] }
}

/** What `ws` itself puts on the wire for a server's binary message. */
const wsFrame = (payload: Uint8Array) =>
  Buffer.concat(
    Sender.frame(Buffer.from(payload), {
      fin: true,
      opcode: 2,
      mask: false,
      readOnly: true,
      rsv1: false,
    }),
  )

describe('frames built once for a broadcast', () => {
  it('are byte for byte the frames ws sends, at every length encoding (7-bit, 16-bit, 64-bit)', () => {
    for (const n of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff)
      expect(Buffer.from(binaryFrame(payload)).equals(wsFrame(payload)), `length ${n}`).toBe(true)
    }
  })

  it('go to an open socket only while ws has nothing of its own in flight on it, and never with an extension', () => {
    const socket = { write: () => true }
    const ok = { readyState: 1, _socket: socket, _sender: { _state: 0, _firstFragment: true } }
    expect(frameStream(ok)).toBe(socket)
    expect(frameStream({ ...ok, _extensions: {} })).toBe(socket)
    expect(frameStream({ ...ok, readyState: 2 })).toBeNull()
    expect(frameStream({ ...ok, _sender: { _state: 1, _firstFragment: true } })).toBeNull()
    expect(frameStream({ ...ok, _sender: { _state: 0, _firstFragment: false } })).toBeNull()
    expect(frameStream({ ...ok, _extensions: { 'permessage-deflate': {} } })).toBeNull()
    expect(frameStream({ ...ok, _socket: { ...socket, destroyed: true } })).toBeNull()
    expect(frameStream({ readyState: 1 })).toBeNull()
    expect(frameStream(null)).toBeNull()
  })

  it('interleave with what ws sends on the same socket in the order they were sent', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    const server = once(wss, 'connection')
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    const got: number[] = []
    client.on('message', (data: Buffer) => got.push(data.length))
    const [ws] = (await server) as [WebSocket]
    // A big frame through ws, then small ones built here and through ws, alternately.
    ws.send(new Uint8Array(3_000_000))
    const sizes = [3_000_000]
    for (let i = 1; i <= 50; i++) {
      const stream = i % 2 ? frameStream(ws) : null
      if (stream) stream.write(binaryFrame(new Uint8Array(i)))
      else ws.send(new Uint8Array(i))
      sizes.push(i)
    }
    for (let i = 0; i < 200 && got.length < sizes.length; i++)
      await new Promise((r) => setTimeout(r, 10))
    expect(got).toEqual(sizes)
    client.close()
    wss.close()
  })
})

describe('[L6] the frame gate: each message held to its cap from its header', () => {
  const FRAME = 1024
  const SYNC = 8 * FRAME

  /** A ws server whose sockets go through the gate; the server-side socket and what it got. */
  async function gated() {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: SYNC })
    await once(wss, 'listening')
    const server = once(wss, 'connection')
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
    client.on('error', () => {})
    const [ws] = (await server) as [WebSocket]
    await once(client, 'open')
    ws.on('error', () => {})
    expect(gateFrames(ws, { frame: FRAME, sync: SYNC })).toBe(true)
    const got: number[] = []
    ws.on('message', (data: Buffer) => got.push(data.length))
    const closed = new Promise<number>((r) => client.once('close', (code) => r(code)))
    const done = () => {
      client.terminate()
      wss.close()
    }
    return { ws, client, got, closed, done }
  }

  const step2 = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i === 1 ? 1 : 7 * i))
  const update = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i === 1 ? 2 : 7 * i))

  it("passes small messages, and one step 2 up to the sync cap as the socket's first big one", async () => {
    const t = await gated()
    const sizes = [1, 0, 5, FRAME, SYNC, 3, FRAME]
    for (const n of sizes) t.client.send(n === SYNC ? step2(n) : update(n))
    await new Promise<void>((r) => {
      const check = () => (t.got.length === sizes.length ? r() : setTimeout(check, 5))
      check()
    })
    expect(t.got).toEqual(sizes)
    t.done()
  })

  it('refuses (1009) a message over the frame cap that is not a step 2, before its payload is there', async () => {
    const t = await gated()
    // Only the header and two payload bytes are ever sent: ws would otherwise wait for the rest.
    const head = Buffer.from([0x82, 0x80 | 126, (FRAME * 2) >> 8, (FRAME * 2) & 0xff, 0, 0, 0, 0])
    const socket = (t.client as unknown as { _socket: { write(b: Buffer): void } })._socket
    socket.write(Buffer.concat([head, Buffer.from([0, 2])]))
    expect(await t.closed).toBe(1009)
    t.done()
  })

  it('refuses a second step 2 over the frame cap, and a fragmented message by its first fragment', async () => {
    const a = await gated()
    a.client.send(step2(SYNC))
    a.client.send(step2(FRAME + 1))
    expect(await a.closed).toBe(1009)
    expect(a.got).toEqual([SYNC])
    a.done()
    const b = await gated()
    b.client.send(update(FRAME / 2), { fin: false })
    b.client.send(update(FRAME / 2), { fin: false })
    b.client.send(update(10), { fin: true })
    expect(await b.closed).toBe(1009)
    expect(b.got).toEqual([])
    b.done()
  })
})
