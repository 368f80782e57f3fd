/**
 * @module A simulated network for convergence fuzzing [M7]: N device replicas and one relay
 * replica (the only one that ingests activities [M1, M4]) in a star, as in production.
 *
 * Device → relay links are FIFO (a WebSocket); in-flight messages are lost when a device
 * disconnects or restarts, and the reconnect sync (state-vector diff) resends what is missing.
 * Relay → device messages may be delivered in any order, twice, or dropped and resent later.
 * The relay checks every update with `validateUpdate`, as the real one does: an honest device
 * is never rejected. Wall clocks are per device, with skew, and may jump backwards.
 *
 * `compactRelay` starts a new epoch [E2]: the relay's replica is rebuilt into a fresh document,
 * every socket is closed (in-flight messages of the old epoch are lost), and each device adopts
 * the new epoch when it reconnects: it takes the relay's state into a fresh document with a new
 * client id and replays its own entries the epoch lacks [E3]. The relay refuses any update that
 * carries a client id of an older epoch [E4].
 */
import * as Y from 'yjs'
import { compactInbox, epochOf, replayIntoEpoch } from '../epoch.ts'
import { createHlc, DEFAULT_MAX_DRIFT, type Hlc } from '../hlc.ts'
import type { HistoryEntry } from '../types.ts'
import { forEachMark } from '../readers.ts'
import { inboxRoots } from '../schema.ts'
import { parseRoom, type Room } from '../rooms.ts'
import { validateUpdate } from '../validate.ts'
import type { Prng } from './prng.ts'

/** Origin of updates applied from the network: they are not sent on again. */
export const NETWORK = Symbol('network')

export interface SimDevice {
  readonly index: number
  readonly deviceId: string
  readonly memberId: string
  doc: Y.Doc
  clock: Hlc
  /** This device's wall clock minus the simulation's true time (ms). */
  skew: number
  online: boolean
  restarts: number
}

export interface SimRelay {
  doc: Y.Doc
  restarts: number
  /** Epochs started so far. */
  epochs: number
  /** Client ids of older epochs: updates carrying them are refused [E4]. */
  retired: Set<number>
  /** History entries moved out of the room by compactions [E5]. */
  archive: HistoryEntry[]
}

export interface NetworkOptions {
  prng: Prng
  devices: { deviceId: string; memberId: string }[]
  phoneNumberId: string
  /** True time (ms) at the start. */
  start?: number
  maxDrift?: number
  /** Called for every notable event, for the op log. */
  log?: (line: string) => void
}

export interface Network {
  readonly devices: SimDevice[]
  readonly relay: SimRelay
  readonly room: Room
  readonly maxDrift: number
  /** True time (ms). */
  now(): number
  advance(ms: number): void
  /** The device's wall clock. */
  wall(device: SimDevice): number
  /** Updates the relay refused (an honest device must never be refused). */
  readonly rejected: string[]
  pending(): number
  /** Delivers one random in-flight message; false when none can be delivered. */
  deliverOne(): boolean
  /** Delivers one relay → device message again later (duplication). */
  duplicateOne(): boolean
  /** Drops one relay → device message; `resendDropped` puts it back in flight. */
  dropOne(): boolean
  resendDropped(): void
  disconnect(device: SimDevice, loseInFlight: boolean): void
  /** Reconnects and runs the sync handshake both ways (state-vector diffs). */
  reconnect(device: SimDevice): void
  /** Rebuilds the device from its encoded state: same device id, new doc, new clock. */
  restart(device: SimDevice): void
  restartRelay(): void
  /**
   * Starts a new epoch from the relay's replica, archiving history older than `historySince`;
   * every device is disconnected and adopts the epoch on its next reconnect.
   */
  compactRelay(historySince: number): void
  /** Heals every partition and delivers everything until all replicas hold the same updates. */
  settle(): void
}

interface Message {
  n: number
  update: Uint8Array
}

export function createNetwork(options: NetworkOptions): Network {
  const { prng } = options
  const log = options.log ?? (() => {})
  const maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT
  const room = parseRoom(`inbox:${options.phoneNumberId}`)!
  let time = options.start ?? 1_750_000_000_000
  let messageCount = 0
  const up: Message[][] = options.devices.map(() => [])
  const down: Message[][] = options.devices.map(() => [])
  const dropped: Message[][] = options.devices.map(() => [])
  const rejected: string[] = []

  const newDoc = (clientID: number, state?: Uint8Array): Y.Doc => {
    const doc = new Y.Doc()
    // Deterministic client ids keep a seed reproducible; the merge must not depend on them (P2).
    doc.clientID = clientID
    if (state) Y.applyUpdate(doc, state, NETWORK)
    return doc
  }

  const devices: SimDevice[] = options.devices.map((d, index) => ({
    index,
    deviceId: d.deviceId,
    memberId: d.memberId,
    doc: newDoc(1000 * (index + 1)),
    clock: createHlc(d.deviceId),
    skew: 0,
    online: true,
    restarts: 0,
  }))
  const relay: SimRelay = {
    doc: newDoc(1_000_000),
    restarts: 0,
    epochs: 0,
    retired: new Set(),
    archive: [],
  }
  /** Fresh client ids for adopted devices and new epochs (never reused, never retired). */
  let nextClientId = 5_000_000

  const wall = (device: SimDevice) => time + device.skew
  const freshClock = (device: SimDevice): Hlc => {
    const clock = createHlc(device.deviceId, () => wall(device), { maxDrift })
    // A restarted device must never stamp below its own entries: its clock first reads them.
    forEachMark(device.doc, (entry, _key, parsed) => {
      if (parsed.deviceId === device.deviceId) clock.receive(entry.at)
    })
    for (const entry of inboxRoots.history(device.doc))
      if (entry.deviceId === device.deviceId) clock.receive(entry.at)
    return clock
  }

  const listenDevice = (device: SimDevice) => {
    device.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === NETWORK || !device.online) return
      up[device.index]!.push({ n: messageCount++, update })
    })
  }
  const broadcast = (update: Uint8Array, except: number) => {
    for (const device of devices)
      if (device.online && device.index !== except)
        down[device.index]!.push({ n: messageCount++, update })
  }
  const listenRelay = () => {
    relay.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== NETWORK) broadcast(update, -1)
    })
  }
  for (const device of devices) {
    device.clock = freshClock(device)
    listenDevice(device)
  }
  listenRelay()

  const relayReceive = (device: SimDevice, update: Uint8Array, what: string) => {
    const meta = Y.parseUpdateMeta(update)
    const stale = [...meta.from.keys(), ...Y.decodeUpdate(update).ds.clients.keys()].find((c) =>
      relay.retired.has(c),
    )
    if (stale !== undefined) {
      const line = `relay refused ${what} from ${device.deviceId}: client ${stale} is of an older epoch`
      rejected.push(line)
      log(line)
      return
    }
    const check = validateUpdate(relay.doc, update, {
      room,
      memberId: device.memberId,
      now: time,
      maxDrift,
    })
    if (!check.ok) {
      const line = `relay rejected ${what} from ${device.deviceId}: ${check.code}: ${check.message}`
      rejected.push(line)
      log(line)
      return
    }
    Y.applyUpdate(relay.doc, update, NETWORK)
    broadcast(update, device.index)
  }

  const links = () => {
    const out: { dir: 'up' | 'down'; index: number }[] = []
    for (const device of devices) {
      if (!device.online) continue
      if (up[device.index]!.length) out.push({ dir: 'up', index: device.index })
      if (down[device.index]!.length) out.push({ dir: 'down', index: device.index })
    }
    return out
  }

  const deliverOne = (): boolean => {
    const all = links()
    if (all.length === 0) return false
    const link = prng.pick(all)
    const device = devices[link.index]!
    if (link.dir === 'up') {
      const message = up[link.index]!.shift()!
      relayReceive(device, message.update, `#${message.n}`)
    } else {
      const queue = down[link.index]!
      const [message] = queue.splice(prng.int(queue.length), 1)
      Y.applyUpdate(device.doc, message!.update, NETWORK)
    }
    return true
  }

  const syncDown = (device: SimDevice) => {
    const diff = Y.encodeStateAsUpdate(relay.doc, Y.encodeStateVector(device.doc))
    Y.applyUpdate(device.doc, diff, NETWORK)
  }
  const syncUp = (device: SimDevice) => {
    const diff = Y.encodeStateAsUpdate(device.doc, Y.encodeStateVector(relay.doc))
    relayReceive(device, diff, 'sync')
  }

  /** The device takes the relay's epoch into a fresh doc (new client id) and replays [E3]. */
  const adopt = (device: SimDevice) => {
    const old = device.doc
    const next = newDoc(nextClientId++, Y.encodeStateAsUpdate(relay.doc))
    const replayed = replayIntoEpoch(old, next, device)
    old.destroy()
    device.doc = next
    listenDevice(device)
    log(
      `  ${device.deviceId} adopts ${epochOf(next).id}: replayed ${replayed.marks} lane entries, ${replayed.history} history, ${replayed.mentions} mentions`,
    )
  }

  const network: Network = {
    devices,
    relay,
    room,
    maxDrift,
    rejected,
    now: () => time,
    advance(ms) {
      time += ms
    },
    wall,
    pending: () => up.concat(down, dropped).reduce((n, q) => n + q.length, 0),
    deliverOne,
    duplicateOne() {
      const candidates = devices.filter((d) => d.online && down[d.index]!.length)
      if (!candidates.length) return false
      const device = prng.pick(candidates)
      const queue = down[device.index]!
      const message = queue[prng.int(queue.length)]!
      Y.applyUpdate(device.doc, message.update, NETWORK)
      log(`  duplicate #${message.n} to ${device.deviceId}`)
      return true
    },
    dropOne() {
      const candidates = devices.filter((d) => down[d.index]!.length)
      if (!candidates.length) return false
      const device = prng.pick(candidates)
      const queue = down[device.index]!
      const [message] = queue.splice(prng.int(queue.length), 1)
      dropped[device.index]!.push(message!)
      log(`  drop #${message!.n} to ${device.deviceId}`)
      return true
    },
    resendDropped() {
      for (const device of devices) {
        down[device.index]!.push(...dropped[device.index]!)
        dropped[device.index] = []
      }
    },
    disconnect(device, loseInFlight) {
      device.online = false
      if (loseInFlight) {
        up[device.index] = []
        down[device.index] = []
        dropped[device.index] = []
      }
    },
    reconnect(device) {
      if (epochOf(device.doc).id !== epochOf(relay.doc).id) adopt(device)
      device.online = true
      syncUp(device)
      syncDown(device)
    },
    restart(device) {
      const state = Y.encodeStateAsUpdate(device.doc)
      device.doc.destroy()
      device.restarts++
      device.online = false
      up[device.index] = []
      down[device.index] = []
      dropped[device.index] = []
      device.doc = newDoc(1000 * (device.index + 1) + device.restarts, state)
      device.clock = freshClock(device)
      listenDevice(device)
    },
    restartRelay() {
      const state = Y.encodeStateAsUpdate(relay.doc)
      relay.doc.destroy()
      relay.restarts++
      relay.doc = newDoc(1_000_000 + relay.restarts, state)
      listenRelay()
      for (const device of devices) network.disconnect(device, true)
    },
    compactRelay(historySince) {
      relay.epochs++
      const { doc, archived } = compactInbox(relay.doc, {
        epoch: `e${relay.epochs}`,
        historySince,
        now: time,
        clientID: nextClientId++,
      })
      for (const client of relay.doc.store.clients.keys()) relay.retired.add(client)
      relay.archive.push(...archived)
      relay.doc.destroy()
      relay.doc = doc
      listenRelay()
      log(`  epoch e${relay.epochs}: ${archived.length} history entries archived`)
      for (const device of devices) network.disconnect(device, true)
    },
    settle() {
      network.resendDropped()
      for (const device of devices) if (!device.online) network.reconnect(device)
      while (deliverOne());
      for (const device of devices) syncUp(device)
      for (const device of devices) syncDown(device)
      while (deliverOne());
    },
  }
  return network
}
