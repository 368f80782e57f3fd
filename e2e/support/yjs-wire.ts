// Reads Yjs client ids off a tab's WebSockets, the way DevTools' WebSocket inspector would show
// them to a person debugging: which id each page load writes with, and which writer ids the
// relay says a room holds. Imports no workspace package: y-websocket frames are a few varints.
import type { Page, WebSocket } from '@playwright/test'

const MESSAGE_SYNC = 0
const SYNC_STEP_1 = 0
const SYNC_STEP_2 = 1
const SYNC_UPDATE = 2

class Reader {
  private pos = 0
  private readonly bytes: Uint8Array

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }

  /** lib0 varUint: 7 bits a byte, low first. Client ids are uint32, so no 32-bit bit ops. */
  varUint(): number {
    let value = 0
    let scale = 1
    for (;;) {
      const byte = this.bytes[this.pos++]
      if (byte === undefined) throw new Error('frame ends inside a varUint')
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
  }

  varUint8Array(): Uint8Array {
    const length = this.varUint()
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }
}

/**
 * The client id a tab wrote with, from an update it sent (update v1: client count, then per
 * client the number of structs, the client id, the first clock, the structs). A local
 * transaction, and the answer to the relay's sync step 1 (what the tab wrote offline), carry
 * structs of one client: its own. Null when there are none (a deletion only, nothing to push).
 */
export function writerOf(update: Uint8Array): number | null {
  const r = new Reader(update)
  const clients = r.varUint()
  if (clients === 0) return null
  if (clients !== 1) throw new Error(`an update the tab sent carries structs of ${clients} clients`)
  r.varUint()
  return r.varUint()
}

/** A state vector: client id → the clock the sender holds of it. */
export function decodeStateVector(bytes: Uint8Array): Map<number, number> {
  const r = new Reader(bytes)
  const sv = new Map<number, number>()
  for (let n = r.varUint(); n > 0; n--) sv.set(r.varUint(), r.varUint())
  return sv
}

/** `ws://host/sync/<room>?token=…` → the room name. */
export function roomOf(url: string): string | null {
  const { pathname } = new URL(url)
  return pathname.startsWith('/sync/') ? decodeURIComponent(pathname.slice('/sync/'.length)) : null
}

interface Load {
  /** room → client ids this page load sent structs under */
  writers: Map<string, Set<number>>
  /** frames this reader could not account for (asserted empty by `writers`) */
  unreadable: string[]
  /** room → the relay's state vector from its latest sync step 1 to this load */
  relayState: Map<string, Map<number, number>>
}

/**
 * Records, per page load, what its sockets carry. A page keeps the label it was last given; a
 * socket keeps the label its page had when the socket opened, so frames of a page being
 * reloaded or closed stay with the load that sent them.
 */
export class YjsWire {
  private readonly loads = new Map<string, Load>()
  private readonly labels = new Map<Page, string>()

  /** Start recording `page`'s sockets as the load `label` (call before it navigates). */
  watch(page: Page, label: string): void {
    const known = this.labels.has(page)
    this.relabel(page, label)
    if (!known) page.on('websocket', (ws) => this.record(ws, this.labels.get(page)!))
  }

  /** Sockets `page` opens from now on belong to the load `label` (call before a reload). */
  relabel(page: Page, label: string): void {
    if (this.loads.has(label)) throw new Error(`load "${label}" is already recorded`)
    this.loads.set(label, { writers: new Map(), unreadable: [], relayState: new Map() })
    this.labels.set(page, label)
  }

  /** Client ids the load `label` wrote `room` with. */
  writers(label: string, room: string): Set<number> {
    return new Set(this.allWriters(label).get(room))
  }

  /** Every room the load `label` wrote in, with its ids. */
  allWriters(label: string): Map<string, Set<number>> {
    const load = this.load(label)
    if (load.unreadable.length > 0) throw new Error(load.unreadable.join('\n'))
    return load.writers
  }

  /** The relay's state vector for `room` as last sent to the load `label`, if any. */
  relayState(label: string, room: string): Map<number, number> | undefined {
    return this.load(label).relayState.get(room)
  }

  private load(label: string): Load {
    const load = this.loads.get(label)
    if (!load) throw new Error(`no load "${label}"`)
    return load
  }

  private record(ws: WebSocket, label: string) {
    const room = roomOf(ws.url())
    if (!room) return
    const load = this.load(label)
    ws.on('framesent', ({ payload }) => {
      const message = syncMessage(payload)
      if (message?.type !== SYNC_UPDATE && message?.type !== SYNC_STEP_2) return
      try {
        const writer = writerOf(message.body)
        if (writer === null) return
        const ids = load.writers.get(room) ?? new Set<number>()
        load.writers.set(room, ids.add(writer))
      } catch (e) {
        load.unreadable.push(`${room}: ${String(e)}`)
      }
    })
    ws.on('framereceived', ({ payload }) => {
      const message = syncMessage(payload)
      if (message?.type === SYNC_STEP_1) load.relayState.set(room, decodeStateVector(message.body))
    })
  }
}

function syncMessage(payload: string | Buffer): { type: number; body: Uint8Array } | null {
  if (typeof payload === 'string') return null
  const r = new Reader(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength))
  if (r.varUint() !== MESSAGE_SYNC) return null
  const type = r.varUint()
  return { type, body: r.varUint8Array() }
}
