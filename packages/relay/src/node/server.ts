/**
 * @module The relay on a Node HTTP server: `@hono/node-server`, the `ws` upgrade glue
 * (ws-upgrade.ts), the frame cap, the heartbeat, the close-code mapping and the static web app.
 *
 * `startRelayServer` is what `main()` and every test harness share.
 */
import { serve, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { readIncomingBody } from './incoming-body.ts'
import { readIncomingHeader } from './incoming-headers.ts'
import { serveStatic } from '@hono/node-server/serve-static'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Hono } from 'hono'
import type { WebSocket } from 'ws'
import { CloseCode } from '@switchboard/protocol'
import { createRelay, type Relay, type RelayOptions } from '../relay.ts'
import { LINK_PATH } from '../scale/link-auth.ts'
import { LINK_HEADER_BYTES } from '../scale/link-frame.ts'
import { webAppScriptHashes } from './script-hashes.ts'
import { gateFrames, type FrameCaps } from './ws-frame.ts'
import { startWebhookListener, type WebhookListener } from './webhook-listener.ts'
import { wsSocketAdapter } from './ws-socket.ts'
import { createNodeWebSocket, EventsWebSocket } from './ws-upgrade.ts'
import './error-event.ts'

export interface RelayServerOptions extends Omit<RelayOptions, 'upgradeWebSocket'> {
  port?: number
  host?: string
  /** Directory of the built SPA, served with an index.html fallback. */
  webDir?: string
  /** WebSocket ping interval; a socket that missed a pong by the next one is dropped. */
  heartbeatMs?: number
  /** Runs before the port opens (e.g. the demo seed), so /healthz never answers a half-made relay. */
  beforeListen?: (relay: Relay) => Promise<void>
  /**
   * `WEBHOOK_PORT`: also serve `/api/webhooks/*` on this port (0: a free one) from a thread of
   * its own (webhook-listener.ts); unset: only on the main port.
   */
  webhookPort?: number
  /** `WEBHOOK_NICE`: how much nicer than the process the listener's thread runs; unset: 0. */
  webhookNice?: number
}

export interface RelayServer {
  relay: Relay
  server: ServerType
  port: number
  url: string
  /** The webhook listener, when `webhookPort` was given. */
  webhooks?: WebhookListener
  close(): Promise<void>
}

/** A served socket: its heartbeat and close codes in fields and methods, none per socket. */
class RelaySocket extends EventsWebSocket {
  /** A pong came since the last heartbeat. */
  alive = true
  /** Its big sync step 2 was refused for the member's budget: 4529, not 4413. */
  overBudget = false

  // ws closes oversized frames with 1009; the shared contract says 4413 (4529 when it is the
  // member's budget of big step 2s that is full: retrying later works).
  override close(code?: number, reason?: string | Buffer): void {
    if (code !== 1009) super.close(code, reason)
    else if (this.overBudget)
      super.close(CloseCode.SlowConsumer, 'member has too many big sync messages in flight, retry')
    else super.close(CloseCode.TooLarge, 'frame too large')
  }
}

function onPong(this: WebSocket): void {
  ;(this as RelaySocket).alive = true
}

/** Starts the relay on a Node HTTP server (port 0 picks a free port). */
export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const root = new Hono()
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket(root, RelaySocket)
  const webDir =
    options.webDir && existsSync(join(options.webDir, 'index.html')) ? options.webDir : null
  const relay = createRelay({
    ...options,
    // The CSP allows the built app's inline bootstrap script by its hash, read once at start.
    scriptHashes: options.scriptHashes ?? (webDir ? webAppScriptHashes(webDir) : []),
    upgradeWebSocket,
    socketAdapter: wsSocketAdapter,
    readBody: readIncomingBody,
    readHeader: readIncomingHeader,
    clientIp: (c) => {
      try {
        return getConnInfo(c).remote.address
      } catch {
        return undefined
      }
    },
  })
  // `ws` reads maxPayload at each upgrade; the frame gate (ws-frame.ts) then sets each message's
  // cap from its first bytes, so any frame over its cap is refused before it is buffered [L6].
  // A relay link's frame carries a client's frame behind a header of its own.
  wss.options.maxPayload = relay.maxSyncFrameBytes + LINK_HEADER_BYTES
  /** Shared by every socket: its gate's state is the socket's own (ws-frame.ts). */
  const caps: FrameCaps = {
    frame: relay.maxFrameBytes,
    sync: relay.maxSyncFrameBytes,
    budget: {
      take: (raw, bytes) => relay.syncBudget.take(raw, bytes),
      give: (raw, bytes) => relay.syncBudget.give(raw, bytes),
      refused: (raw) => void ((raw as RelaySocket).overBudget = true),
    },
  }
  // Dead peers (no pong within a heartbeat) are terminated, so their rooms can unload.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients as Set<RelaySocket>) {
      if (!ws.alive) {
        ws.terminate()
        continue
      }
      ws.alive = false
      ws.ping()
    }
  }, options.heartbeatMs ?? 30_000)
  heartbeat.unref()
  function onError(this: WebSocket, err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
      relay.reportRejectedFrame(
        (this as RelaySocket).overBudget ? 'sync-budget' : 'too-large',
        err.message,
      )
    else relay.reportRejectedFrame('socket-error', `${err.code ?? ''} ${err.message}`)
  }
  wss.on('connection', (ws: RelaySocket, req: { url?: string }) => {
    // A relay link multiplexes many clients' frames: each is held to its cap at the owner
    // (room-socket.ts), and each client's budget by the edge that accepted it.
    const link = req.url?.split('?')[0] === LINK_PATH
    // False only with a `ws` whose internals changed (ws-frame.test.ts pins them): frames are
    // then held to the sync cap by `ws` and to their own cap by the relay after buffering.
    if (!link) gateFrames(ws, caps)
    ws.on('pong', onPong)
    ws.on('error', onError)
  })
  root.route('/', relay.app)
  if (webDir) {
    root.use('*', serveStatic({ root: webDir }))
    root.get('*', serveStatic({ path: join(webDir, 'index.html') }))
  }
  await options.beforeListen?.(relay)
  let webhooks: WebhookListener | undefined
  if (options.webhookPort !== undefined)
    webhooks = await startWebhookListener(relay.webhookHost, {
      port: options.webhookPort,
      host: options.host ?? '127.0.0.1',
      nice: options.webhookNice ?? 0,
    }).catch(async (err: unknown) => {
      clearInterval(heartbeat)
      await relay.close()
      throw err
    })
  const server = await new Promise<ServerType>((res) => {
    const s = serve(
      { fetch: root.fetch, port: options.port ?? 0, hostname: options.host ?? '127.0.0.1' },
      () => res(s),
    )
  })
  injectWebSocket(server)
  server.on('clientError', (_err, socket) => socket.destroy())
  const port = (server.address() as AddressInfo).port
  return {
    relay,
    server,
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    ...(webhooks ? { webhooks } : {}),
    async close() {
      clearInterval(heartbeat)
      server.close()
      // Webhooks under way are answered before the relay stops taking them in.
      await webhooks?.close()
      await relay.close()
      // Sockets got 1001; give their closing handshakes a moment, then drop what is left.
      await new Promise((r) => setTimeout(r, 100))
      for (const ws of wss.clients) ws.terminate()
      ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
    },
  }
}
