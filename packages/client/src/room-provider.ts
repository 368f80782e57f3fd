/**
 * @module A room's y-websocket provider, unmodified but for two message handlers: the relay's
 * ack (message type 100, docs/protocol.md: `[varUint 100][varUint clientID][varUint clock]`),
 * and a look at the state vector in the relay's sync step 1 (what it has stored) before the
 * step is answered.
 */
import * as decoding from 'lib0/decoding'
import type * as encoding from 'lib0/encoding'
import type { Awareness } from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { MessageType, readAck } from '@switchboard/protocol'

export interface ProviderOptions {
  serverUrl: string
  params: Record<string, string>
  WebSocket: unknown
  shouldReconnect: (event: CloseEvent) => boolean
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
  const provider = new WebsocketProvider(options.serverUrl, name, doc, {
    connect: false,
    awareness,
    params: options.params,
    WebSocketPolyfill: options.WebSocket as typeof WebSocket,
    disableBc: true,
    shouldReconnect: options.shouldReconnect,
  })
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
