/**
 * Memory of the relay link at the edge (issue 25 T8: ≤ 2 KiB per proxied socket beyond the client
 * socket itself). This process runs only the edge relay (and a bare `ws` server for the baseline);
 * a child runs the owner relay and every client socket, so this heap holds the edge's side alone.
 *
 *   node --expose-gc --import tsx src/link-memory.ts [sockets]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WebSocketServer, WebSocket } from 'ws'
import { startTestRelayServer, type TestWorkspace } from '@switchboard/relay/testing'

const SECRET = 'bench-link-secret-0123456789abcdef'
const WORKSPACE: TestWorkspace = {
  password: 'bench-password',
  phoneNumbers: [
    { id: 'pn-a', name: 'Support', number: '+14155550142' },
    { id: 'pn-b', name: 'Sales', number: '+14155550100' },
  ],
  members: [{ id: 'alice', role: 'owner', phoneNumbers: ['pn-a', 'pn-b'] }],
}
const relayOptions = {
  secret: SECRET,
  workspace: WORKSPACE,
  maxSocketsPerMember: 0,
  keepaliveMs: 0,
}

type Msg = { owner?: string; opened?: number; closed?: boolean }

async function child(): Promise<void> {
  const owner = await startTestRelayServer({ ...relayOptions, relayId: 'owner' })
  const open: WebSocket[] = []
  process.send!({ owner: owner.url })
  process.on('message', async (m: { url?: string; n?: number; close?: boolean }) => {
    if (m.close) {
      for (const ws of open.splice(0)) ws.close()
      await new Promise((r) => setTimeout(r, 500))
      process.send!({ closed: true })
      return
    }
    for (let i = 0; i < m.n!; i += 100) {
      const batch = Array.from({ length: Math.min(100, m.n! - i) }, () => {
        const ws = new WebSocket(m.url!)
        open.push(ws)
        return new Promise<void>((resolve, reject) => {
          ws.once('message', () => resolve()) // the room's sync step 1: the socket is served
          ws.once('error', reject)
          ws.once('close', (code) => reject(new Error(`closed ${code}`)))
        })
      })
      await Promise.all(batch)
    }
    process.send!({ opened: open.length })
  })
}

const heap = async () => {
  for (let i = 0; i < 4; i++) {
    global.gc!()
    await new Promise((r) => setTimeout(r, 50))
  }
  return process.memoryUsage().heapUsed
}

async function main(n: number): Promise<void> {
  let ownerUrl = ''
  const edge = await startTestRelayServer({
    ...relayOptions,
    relayId: 'edge',
    routeRoom: async (room) =>
      room === 'inbox:pn-a' ? { relayId: 'owner', url: ownerUrl } : 'self',
  })
  const plain = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  plain.on('connection', (ws) => ws.send(new Uint8Array([0, 0, 0])))
  await new Promise((r) => plain.once('listening', r))
  const plainUrl = `ws://127.0.0.1:${(plain.address() as { port: number }).port}`
  const kid = fork(fileURLToPath(import.meta.url), ['child'], { execArgv: ['--import', 'tsx'] })
  const next = () => new Promise<Msg>((resolve) => kid.once('message', (m: Msg) => resolve(m)))
  ownerUrl = (await next()).owner!
  const res = await fetch(`${edge.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@example.com', password: WORKSPACE.password }),
  })
  const { token } = (await res.json()) as { token: string }
  const perSocket = async (url: string) => {
    kid.send({ url, n: 1 }) // the link or the room exists before the measure
    await next()
    const before = await heap()
    kid.send({ url, n })
    await next()
    const after = await heap()
    kid.send({ close: true })
    await next()
    return (after - before) / n
  }
  const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`
  const bare = await perSocket(plainUrl)
  const proxied = await perSocket(`${edge.wsUrl}/inbox:pn-a?token=${token}`)
  const direct = await perSocket(`${edge.wsUrl}/inbox:pn-b?token=${token}`)
  console.log(`${n} sockets, edge heap per socket:`)
  console.log(`  bare ws socket (no relay)          ${kib(bare)}`)
  console.log(
    `  proxied to the owner (link)        ${kib(proxied)}  (beyond a bare socket: ${kib(proxied - bare)})`,
  )
  console.log(
    `  served by the edge itself          ${kib(direct)}  (beyond a bare socket: ${kib(direct - bare)})`,
  )
  kid.kill()
  plain.close()
  await edge.close()
  process.exit(0)
}

if (process.argv[2] === 'child') await child()
else await main(Number(process.argv[2] ?? 2000))
