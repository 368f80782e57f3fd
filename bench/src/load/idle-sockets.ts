/**
 * @module T8's clients (its own process): opens thousands of sockets that join their rooms as an
 * up-to-date client does (sync step 1 with the room's state vector, read from a first full sync of
 * each room) and then stay idle, answering only the relays' pings. Sockets bind to several
 * loopback source addresses in turn, so one process is not bounded by one address's ephemeral
 * ports.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { Target } from '../target.ts'
import { decodeFrame, syncStep1Frame, syncStep2Frame } from '../wire.ts'
import { send } from './client.ts'

type Command =
  | { cmd: 'open'; targets: Target[]; localAddresses: string[] }
  | { cmd: 'status' }
  | { cmd: 'close' }

const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())
/** Sockets being opened at once. */
const CONCURRENCY = 200

const open: WebSocket[] = []
const closeCodes = new Map<number, number>()
/** Each room's state vector, once a first socket synced it fully. */
const stateVectors = new Map<string, Uint8Array>()
let nextAddress = 0

function join(t: Target, localAddresses: string[]): Promise<void> {
  const localAddress = localAddresses[nextAddress++ % localAddresses.length]
  const ws = new WebSocket(t.url, { perMessageDeflate: false, localAddress })
  ws.binaryType = 'nodebuffer'
  const known = stateVectors.get(t.url.split('?')[0]!)
  return new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    ws.once('close', (code) => {
      closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1)
      reject(new Error(`closed with ${code} before it joined`))
    })
    ws.once('open', () => {
      open.push(ws)
      ws.send(syncStep1Frame(t.protocol, t.doc, known ?? Y.encodeStateVector(new Y.Doc())))
    })
    ws.on('message', (data: Buffer) => {
      const msg = decodeFrame(t.protocol, new Uint8Array(data.buffer, data.byteOffset, data.length))
      if (msg.type === 'step-1') ws.send(syncStep2Frame(t.protocol, t.doc, EMPTY_UPDATE))
      if (msg.type !== 'step-2') return
      if (!known) {
        const doc = new Y.Doc()
        Y.applyUpdate(doc, msg.update)
        stateVectors.set(t.url.split('?')[0]!, Y.encodeStateVector(doc))
      }
      // Joined: from here the socket is idle; a later close is counted, not awaited.
      ws.removeAllListeners('message')
      ws.removeAllListeners('error')
      ws.removeAllListeners('close')
      ws.on('error', () => {})
      ws.on('close', (code) => closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1))
      resolve()
    })
  })
}

async function openAll(targets: Target[], localAddresses: string[]) {
  const t0 = performance.now()
  let i = 0
  const worker = async () => {
    while (i < targets.length) await join(targets[i++]!, localAddresses)
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker))
  return { opened: targets.length, ms: performance.now() - t0 }
}

const status = () => ({
  open: open.filter((ws) => ws.readyState === WebSocket.OPEN).length,
  closeCodes: Object.fromEntries(closeCodes),
})

process.on('message', async (m: Command) => {
  try {
    if (m.cmd === 'open') send({ ok: true, value: await openAll(m.targets, m.localAddresses) })
    else if (m.cmd === 'status') send({ ok: true, value: status() })
    else {
      for (const ws of open.splice(0)) ws.terminate()
      process.exit(0)
    }
  } catch (err) {
    send({ ok: false, error: String((err as Error).stack ?? err) })
  }
})
send({ ok: true, value: 'ready' })
