/**
 * @module The replica's connection status, pending count and last error, and the listeners that
 * hear them. Status is computed from the rooms that are meant to sync; listeners hear a change
 * of status or pending count once, however many rooms moved.
 */
import { ErrorCode, SwitchboardError } from './errors.ts'
import { Listeners } from './listeners.ts'
import type { RoomReplica } from './room.ts'
import type { ConnectionStatus } from './types.ts'

/** Reconnect attempts after which a room that cannot reach the relay counts as offline. */
const OFFLINE_AFTER_RETRIES = 2

/** What the status is computed from; the composition root wires it to the session and rooms. */
export interface StatusSource {
  /** Whether the replica means to be online (not disconnected, signed out or destroyed). */
  wantsOnline(): boolean
  /** Whether a token refresh is under way. */
  refreshing(): boolean
  /** The open rooms that are meant to sync (not stopped). */
  liveRooms(): RoomReplica[]
  /** How many relays a room may try (each failure moves it to the next). */
  relays(): number
  /** This device's changes the relay has not acknowledged (the user's own, not implicit reads). */
  pending(): number
  /** Every local change the relay has not acknowledged, implicit reads included. */
  unacked(): number
  /** Whether an error stops `whenSynced`: the session's, or a stopped room's that is still open. */
  blocking(error: SwitchboardError): boolean
}

export class SyncStatus {
  /** The last error that stopped a room or the session. */
  error: SwitchboardError | null = null
  /** When status was last online with nothing pending (ms). */
  lastSyncedAt: number | null = null
  readonly statusListeners = new Listeners<[ConnectionStatus, number]>()
  readonly errorListeners = new Listeners<[SwitchboardError]>()
  /** Hear every notify, even one that changed neither status nor pending (an implicit ack). */
  private readonly settleListeners = new Listeners()
  private readonly source: StatusSource
  private lastStatus: ConnectionStatus = 'offline'
  private lastPending = -1

  constructor(source: StatusSource) {
    this.source = source
  }

  compute(): ConnectionStatus {
    if (!this.source.wantsOnline()) return 'offline'
    if (this.source.refreshing()) return 'connecting'
    const live = this.source.liveRooms()
    if (live.length === 0) return 'connecting'
    // Every other relay gets its try before a room counts as offline.
    const retriesLeft = OFFLINE_AFTER_RETRIES + this.source.relays() - 1
    if (live.every((r) => r.connected && r.synced)) return 'online'
    if (live.some((r) => !r.provider || r.connected || (r.connecting && r.retries <= retriesLeft)))
      return 'connecting'
    return 'offline'
  }

  /** Tells the listeners when status or pending changed since they last heard. */
  notify(): void {
    const status = this.compute()
    const pending = this.source.pending()
    if (status === 'online' && pending === 0) this.lastSyncedAt = Date.now()
    this.settleListeners.emit()
    if (status === this.lastStatus && pending === this.lastPending) return
    this.lastStatus = status
    this.lastPending = pending
    this.statusListeners.emit(status, pending)
  }

  /** Records an error (anything not a SwitchboardError is a storage failure) and tells. */
  fail(e: unknown): void {
    const err =
      e instanceof SwitchboardError
        ? e
        : new SwitchboardError(ErrorCode.Storage, String(e), { cause: e })
    this.error = err
    this.errorListeners.emit(err)
    this.notify()
  }

  /**
   * Resolves once `ready` has and status is online with nothing unacknowledged (implicit reads
   * too); rejects on a blocking error.
   */
  whenSynced(ready: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.error && this.source.blocking(this.error)) {
          off()
          reject(this.error)
        } else if (this.compute() === 'online' && this.source.unacked() === 0) {
          off()
          resolve()
        }
      }
      const offStatus = this.settleListeners.add(check)
      const offError = this.errorListeners.add(check)
      const off = () => {
        offStatus()
        offError()
      }
      void ready.then(check, (e) => {
        off()
        reject(e)
      })
    })
  }
}
