/**
 * @module A room's y-websocket provider, unmodified but for two message handlers: the relay's
 * ack (message type 100, docs/protocol.md: `[varUint 100][varUint clientID][varUint clock]`),
 * and a look at the state vector in the relay's sync step 1 (what it has stored) before the
 * step is answered. Its server URL is read at each connect (the replica's current relay), and a
 * socket that does not open in time is closed, which y-websocket sees as a dropped one (1006).
 */
import * as decoding from 'lib0/decoding'
import type * as encoding from 'lib0/encoding'
import type { Awareness } from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { MessageType, readAck } from '@switchboard/protocol'

export interface ProviderOptions {
  /** `ws(s)://<relay>/sync` of the relay to use now, read each time a socket is opened. */
  serverUrl: () => string
  params: Record<string, string>
  WebSocket: unknown
  /** A socket not open after this long is closed (and counts as a dropped one); 0: never. */
  connectTimeoutMs: number
  /** `serverUrl` is the one the closed socket was opened on. */
  shouldReconnect: (event: CloseEvent, serverUrl: string) => boolean
  /** A socket to `serverUrl` opened. */
  onOpen: (serverUrl: string) => void
}

/** The server URL each provider's current socket was opened on. */
const socketServers = new WeakMap<WebsocketProvider, string>()

/** The `ws(s)://…/sync` base the provider's current socket was opened on, if it has one. */
export function socketServer(provider: WebsocketProvider): string | undefined {
  return provider.ws ? socketServers.get(provider) : undefined
}

export interface ProviderHooks {
  /** The relay's sync step 1 state vector; false leaves the step unanswered. */
  onStateVector(sv: Map<number, number>): boolean
  /** The relay stored everything of `clientID` below `clock`. */
  onAck(clientID: number, clock: number): void
  onStatus(): void
  onSync(): void
}

type MessageHandler = (
  encoder: encoding.Encoder,
  decoder: decoding.Decoder,
  provider: WebsocketProvider,
  emitSynced: boolean,
  messageType: number,
) => void

/** A provider for room `name` and `doc`, not yet connected. */
export function createRoomProvider(
  name: string,
  doc: Y.Doc,
  awareness: Awareness,
  options: ProviderOptions,
  hooks: ProviderHooks,
): WebsocketProvider {
  const provider: WebsocketProvider = new WebsocketProvider(options.serverUrl(), name, doc, {
    connect: false,
    awareness,
    params: options.params,
    WebSocketPolyfill: options.WebSocket as typeof WebSocket,
    disableBc: true,
    shouldReconnect: (event: CloseEvent): boolean =>
      options.shouldReconnect(event, socketServers.get(provider) ?? provider.serverUrl),
  })
  followCurrentRelay(provider, options)
  roomForExitListener(provider)
  const handlers = provider.messageHandlers as unknown as MessageHandler[]
  const sync = handlers[0]!
  handlers[0] = (encoder, decoder, p, emitSynced, type) => {
    const peek = decoding.clone(decoder)
    if (decoding.readVarUint(peek) === syncProtocol.messageYjsSyncStep1) {
      const sv = Y.decodeStateVector(decoding.readVarUint8Array(peek))
      if (!hooks.onStateVector(sv)) return
    }
    sync(encoder, decoder, p, emitSynced, type)
  }
  handlers[MessageType.Ack] = (_encoder, decoder) => {
    const { clientId, clock } = readAck(decoder)
    hooks.onAck(clientId, clock)
  }
  provider.on('status', () => hooks.onStatus())
  provider.on('sync', () => hooks.onSync())
  return provider
}

/**
 * y-websocket builds each socket's URL from `serverUrl`: made a getter, it names the current
 * relay at every (re)connect, and the value read is kept as the socket's relay.
 */
function followCurrentRelay(provider: WebsocketProvider, options: ProviderOptions): void {
  Object.defineProperty(provider, 'serverUrl', {
    configurable: true,
    get() {
      const url = options.serverUrl()
      socketServers.set(provider, url)
      return url
    },
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  provider.on('status', ({ status }) => {
    clearTimeout(timer)
    const ws = provider.ws
    if (status === 'connected') options.onOpen(socketServers.get(provider) ?? '')
    if (status !== 'connecting' || !ws || options.connectTimeoutMs <= 0) return
    timer = setTimeout(() => {
      // Closing a socket that is still connecting fails it: y-websocket hears a 1006.
      if (provider.ws === ws && provider.wsconnecting) ws.close()
    }, options.connectTimeoutMs)
    ;(timer as { unref?: () => void }).unref?.()
  })
}

/** y-websocket announces awareness under the doc's client id: keep the two equal. */
export function rekeyAwareness(awareness: Awareness, clientID: number): void {
  const old = awareness.clientID
  if (old === clientID) return
  const state = awareness.states.get(old)
  const meta = awareness.meta.get(old)
  awareness.states.delete(old)
  awareness.meta.delete(old)
  awareness.clientID = clientID
  if (state !== undefined) awareness.states.set(clientID, state)
  if (meta) awareness.meta.set(clientID, meta)
}

interface ListenerLimit {
  getMaxListeners(): number
  setMaxListeners(n: number): unknown
}

/**
 * In Node, y-websocket adds one `exit` listener to `process` per provider (to say goodbye to
 * teammates' awareness), so a replica with more than ten rooms open had Node warn of a listener
 * leak: the limit is raised by one for each live provider and lowered again when it is destroyed.
 */
function roomForExitListener(provider: WebsocketProvider): void {
  const proc = (globalThis as { process?: Partial<ListenerLimit> }).process
  if (!proc?.getMaxListeners || !proc.setMaxListeners) return
  const limits = proc as ListenerLimit
  // 0 means unlimited: nothing to make room in.
  if (limits.getMaxListeners() === 0) return
  limits.setMaxListeners(limits.getMaxListeners() + 1)
  const destroy = provider.destroy.bind(provider)
  let released = false
  provider.destroy = () => {
    if (!released && limits.getMaxListeners() > 0)
      limits.setMaxListeners(limits.getMaxListeners() - 1)
    released = true
    destroy()
  }
}
