/**
 * @module Who may write under an id: Yjs client ids per room, and device ids across the
 * workspace [M8][L1][L2].
 *
 * An id belongs to the member who first wrote (or declared) it, and the relay's own client ids to
 * no member. A binding is written once and never changes, so an owner read or written here is
 * kept: a writer's updates then cost no look-up in the store.
 */
import { isValidId, RESTORE_DEVICE, RULE_DEVICE } from '@switchboard/core'
import type { RelayStorage } from './storage/relay-storage.ts'

/** The owner recorded for the relay's own Yjs client ids (never a member id) [M8]. */
export const RELAY_WRITER = '\u0000relay'

/** The device-owner cache is dropped (and refilled from storage) past this many devices. */
const MAX_CACHED_DEVICES = 50_000

/** The owners of one room's Yjs client ids, kept for the room's life [M8]. */
export class ClientOwners {
  readonly #storage: RelayStorage
  readonly #room: string
  readonly #owners = new Map<number, string>()
  #relayBound = false

  constructor(storage: RelayStorage, room: string) {
    this.#storage = storage
    this.#room = room
  }

  /** The stored owner of a client id, or null when nobody wrote under it. */
  ownerOf(client: number): string | null {
    const known = this.#owners.get(client)
    if (known !== undefined) return known
    const owner = this.#storage.getClientOwner(this.#room, client)
    if (owner !== null) this.#owners.set(client, owner)
    return owner
  }

  /**
   * A client id among `clients` that `memberId` may not write under: the relay's own
   * (`relayClient`, the room document's), or one bound to another writer. null when all are free.
   */
  foreign(memberId: string, clients: readonly number[], relayClient: number): number | null {
    for (const client of clients) {
      if (client === relayClient) return client
      const owner = this.ownerOf(client)
      if (owner !== null && owner !== memberId) return client
    }
    return null
  }

  /** Client ids among `clients` not yet known to be bound to `memberId`. */
  unbound(memberId: string, clients: readonly number[]): number[] {
    return clients.filter((client) => this.#owners.get(client) !== memberId)
  }

  /** Writes the bindings (inside the caller's transaction; the first binding stays). */
  write(memberId: string, clients: readonly number[]): void {
    for (const client of clients) this.#storage.bindClient(this.#room, client, memberId)
  }

  /** Records bindings once their transaction committed (checked free by `foreign` before). */
  bound(memberId: string, clients: readonly number[]): void {
    for (const client of clients) this.#owners.set(client, memberId)
  }

  /**
   * Binds the room document's own client id to the relay, once per room life; `later` runs the
   * store's write (the room passes the end of its turn, so it rides in the commit of the batch).
   */
  bindRelay(client: number, later: (write: () => void) => void = (write) => write()): void {
    if (this.#relayBound) return
    this.#relayBound = true
    later(() => {
      if (this.#storage.bindClient(this.#room, client, RELAY_WRITER))
        this.#owners.set(client, RELAY_WRITER)
    })
  }
}

/** The bindings an admitted update brings: client ids and device ids new to its writer. */
export interface Bindings {
  clients: readonly number[]
  devices: readonly string[]
}

export interface Ownership {
  /** The member a device id is bound to, RELAY_WRITER for the relay's, or null when unbound. */
  deviceOwner(deviceId: string): string | null
  /** True when the device is known (cached) to be `memberId`'s: nothing to bind. */
  knownDevice(deviceId: string, memberId: string): boolean
  /**
   * Binds a device id a member's socket uses (declares on connect or announces in its presence)
   * to that member if unbound [L1][L2]; false when it is another member's or not an id.
   */
  claimDevice(deviceId: string, memberId: string): boolean
  /**
   * Writes an update's bindings [M8]: device ids committed at once, client ids with the room
   * log's next commit (index-rows.ts), never after the update they came with.
   */
  bind(memberId: string, owners: ClientOwners, bindings: Bindings): void
}

export function createOwnership(storage: RelayStorage): Ownership {
  const deviceOwners = new Map<string, string>()
  const remember = (deviceId: string, memberId: string) => {
    if (deviceOwners.size >= MAX_CACHED_DEVICES) deviceOwners.clear()
    deviceOwners.set(deviceId, memberId)
  }
  const deviceOwner = (deviceId: string): string | null => {
    // The relay's restore and rules devices are never a member's: the relay writes their keys [T2][F2].
    if (deviceId === RESTORE_DEVICE || deviceId === RULE_DEVICE) return RELAY_WRITER
    const known = deviceOwners.get(deviceId)
    if (known !== undefined) return known
    const owner = storage.getDeviceOwner(deviceId)
    if (owner !== null) remember(deviceId, owner)
    return owner
  }
  return {
    deviceOwner,
    knownDevice: (deviceId, memberId) => deviceOwners.get(deviceId) === memberId,
    claimDevice(deviceId, memberId) {
      if (!isValidId(deviceId)) return false
      const owner = deviceOwner(deviceId)
      if (owner !== null) return owner === memberId
      if (!storage.bindDevice(deviceId, memberId))
        return storage.getDeviceOwner(deviceId) === memberId
      remember(deviceId, memberId)
      return true
    },
    bind(memberId, owners, { clients, devices }) {
      if (clients.length === 0 && devices.length === 0) return
      storage.transaction(() => {
        owners.write(memberId, clients)
        for (const deviceId of devices) storage.bindDevice(deviceId, memberId)
      })
      // Committed, and admission saw no other owner: these are the member's now.
      owners.bound(memberId, clients)
      for (const deviceId of devices) remember(deviceId, memberId)
    },
  }
}
