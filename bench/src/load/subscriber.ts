/**
 * @module A fan-out subscriber over the lean StreamSocket rather than the `ws` client: a thousand of
 * them share one load process, whose time per delivery adds to every server's latency once it
 * queues, so it reuses one read buffer instead of allocating each read (figures in
 * bench/README.md, "The reconnect room, and the harness's own cost").
 */
import * as Y from 'yjs'
import type { Target } from '../target.ts'
import { authFrame, decodeFrame, Protocol, syncStep1Frame, syncStep2Frame } from '../wire.ts'
import { peekSync } from './join.ts'
import { StreamSocket } from './stream-socket.ts'

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())

export interface Subscriber {
  /** Resolves once the server's sync step 2 arrived (on open when the server does not sync). */
  ready: Promise<void>
  closeCode: number | null
  terminate(): void
}

/** Joins the room with an empty state; hands every update (and the step 2) to `onUpdate`. */
export function openSubscriber(target: Target, onUpdate: (update: Uint8Array) => void): Subscriber {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const sub: Subscriber = {
    ready: new Promise<void>((res, rej) => ((resolve = res), (reject = rej))),
    closeCode: null,
    terminate: () => socket.terminate(),
  }
  sub.ready.catch(() => {})
  const socket: StreamSocket = new StreamSocket(target.url, {
    reuseReadBuffer: true,
    onOpen() {
      if (target.protocol === Protocol.Hocus) socket.send(authFrame(target.doc, target.token))
      if (target.syncs) socket.send(syncStep1Frame(target.protocol, target.doc, EMPTY_SV))
      else resolve()
    },
    onMessage(msg) {
      // The room's state in a step 2 can be bigger than what a socket keeps: its header says.
      if (!msg.bytes) {
        if (peekSync(target.protocol, msg.prefix, msg.length).type === 'step-2') resolve()
        return
      }
      const m = decodeFrame(target.protocol, msg.bytes)
      if (m.type === 'step-1')
        socket.send(syncStep2Frame(target.protocol, target.doc, EMPTY_UPDATE))
      else if (m.type === 'update' || m.type === 'step-2') {
        onUpdate(m.update)
        if (m.type === 'step-2') resolve()
      }
    },
    onClose(code) {
      sub.closeCode = code
      reject(new Error(`closed with ${code}`))
    },
  })
  return sub
}
