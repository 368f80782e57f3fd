import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, startRelay, type TestRelay } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Alice's open socket to her inbox room, and its close code once it closes. */
async function aliceSocket(r: TestRelay, options: WebSocket.ClientOptions = {}) {
  const res = await fetch(`${r.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@example.com', password: DEMO_PASSWORD }),
  })
  const { token } = (await res.json()) as { token: string }
  const ws = new WebSocket(`ws://127.0.0.1:${r.port}/sync/inbox:pn1?token=${token}`, options)
  ws.on('error', () => {})
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  await new Promise((resolve) => ws.once('open', resolve))
  return { ws, closed }
}

describe("the client's tests run against the relay's production server setup", () => {
  it('[L6] a frame over the cap closes the socket with 4413', async () => {
    const r = await startRelay()
    cleanups.push(() => r.stop())
    const { ws, closed } = await aliceSocket(r)
    // A sync update (0, 2) of 2 MiB: over the default 1-MiB frame cap.
    const frame = new Uint8Array(2 * 1024 * 1024)
    frame.set([0, 2])
    ws.send(frame)
    expect(await closed).toBe(4413)
  })

  it('the heartbeat drops a peer that stopped answering pings, so its rooms can unload', async () => {
    const r = await startRelay({ heartbeatMs: 100 })
    cleanups.push(() => r.stop())
    const { closed } = await aliceSocket(r, { autoPong: false })
    expect(await closed).toBe(1006)
  })
})
