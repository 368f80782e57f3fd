/**
 * @module A fault-injecting WebSocket proxy between replicas and the relay.
 *
 * Each accepted socket gets its own upstream socket to the relay (same path and query). Frames
 * are forwarded after a random delay; a connection keeps its order (WebSocket runs over one TCP
 * stream, so only frames of different connections can overtake each other), which reorders
 * traffic across connections. Faults: drop every connection abruptly, or partition the proxy
 * (existing sockets dropped, new ones refused) until it is healed. Plain HTTP is piped through.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { CloseCode } from '@switchboard/protocol'
import WebSocket, { WebSocketServer, type RawData } from 'ws'

export interface FaultProxyOptions {
  /** The relay's base URL, e.g. `http://127.0.0.1:1234`. */
  target: string
  /** Random source in [0, 1): pass a seeded PRNG for replayable runs. */
  random: () => number
  /** Largest delay added to a frame, ms (each frame draws from [0, maxDelayMs]). */
  maxDelayMs?: number
}

export interface FaultProxy {
  url: string
  port: number
  /** Sockets currently open through the proxy. */
  readonly connections: number
  readonly stats: { frames: number; drops: number; refused: number; reordered: number }
  /** Terminates every connection on both sides, without a closing handshake. */
  dropAll(): void
  /** Drops every connection and refuses new ones until `heal()`. */
  partition(): void
  heal(): void
  readonly partitioned: boolean
  setMaxDelay(ms: number): void
  close(): Promise<void>
}

interface Link {
  client: WebSocket
  upstream: WebSocket
  /** Release time of the last frame scheduled per direction, so one connection stays ordered. */
  lastUp: number
  lastDown: number
}

let sequence = 0

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  let maxDelayMs = options.maxDelayMs ?? 20
  let partitioned = false
  const links = new Set<Link>()
  const stats = { frames: 0, drops: 0, refused: 0, reordered: 0 }
  /** The sequence number of the last frame released, to count cross-connection overtaking. */
  let lastReleased = 0
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })

  const server: Server = createServer((req, res) => {
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      },
    )
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(up)
  })

  const kill = (link: Link) => {
    links.delete(link)
    link.client.terminate()
    link.upstream.terminate()
  }

  const forward = (link: Link, to: WebSocket, data: RawData, isBinary: boolean, up: boolean) => {
    stats.frames++
    const seq = ++sequence
    const now = Date.now()
    const wanted = now + options.random() * maxDelayMs
    const at = Math.max(wanted, up ? link.lastUp : link.lastDown)
    if (up) link.lastUp = at
    else link.lastDown = at
    setTimeout(
      () => {
        if (!links.has(link) || to.readyState !== WebSocket.OPEN) return
        if (seq < lastReleased) stats.reordered++
        lastReleased = Math.max(lastReleased, seq)
        to.send(data, { binary: isBinary })
      },
      Math.max(0, at - now),
    )
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    if (partitioned) {
      stats.refused++
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      client.on('error', () => {})
      const headers: Record<string, string> = {}
      if (req.headers.origin) headers.origin = req.headers.origin
      const upstream = new WebSocket(`ws://${target.host}${req.url ?? '/'}`, {
        headers,
        maxPayload: 64 * 1024 * 1024,
      })
      upstream.on('error', () => {})
      const link: Link = { client, upstream, lastUp: 0, lastDown: 0 }
      links.add(link)
      const pending: [RawData, boolean][] = []
      client.on('message', (data, isBinary) => {
        if (upstream.readyState === WebSocket.OPEN) forward(link, upstream, data, isBinary, true)
        else pending.push([data, isBinary])
      })
      upstream.on('open', () => {
        for (const [data, isBinary] of pending.splice(0))
          forward(link, upstream, data, isBinary, true)
      })
      upstream.on('message', (data, isBinary) => forward(link, client, data, isBinary, false))
      // Closes travel after the frames scheduled before them, with the relay's code.
      upstream.on('close', (code, reason) => {
        const at = Math.max(Date.now(), link.lastDown)
        setTimeout(
          () => {
            links.delete(link)
            if (client.readyState === WebSocket.OPEN)
              client.close(code >= 4000 || code === CloseCode.GoingAway ? code : 1000, reason)
            else client.terminate()
          },
          Math.max(0, at - Date.now()),
        )
      })
      client.on('close', () => {
        links.delete(link)
        if (upstream.readyState === WebSocket.OPEN) upstream.close()
        else upstream.terminate()
      })
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return links.size
    },
    stats,
    dropAll() {
      for (const link of [...links]) {
        stats.drops++
        kill(link)
      }
    },
    partition() {
      partitioned = true
      for (const link of [...links]) {
        stats.drops++
        kill(link)
      }
    },
    heal() {
      partitioned = false
    },
    get partitioned() {
      return partitioned
    },
    setMaxDelay(ms) {
      maxDelayMs = ms
    },
    async close() {
      partitioned = true
      for (const link of [...links]) kill(link)
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
