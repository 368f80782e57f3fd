/**
 * @module One member's socket in one room, as the room sees it (a `Peer`): it reads frames,
 * carries out the admission verdict of each update (admission.ts), rate-limits presence and
 * closes itself when it falls too far behind.
 */
import type { Room as RoomName } from '@switchboard/core'
import { admitClientUpdate, type Verdict } from './admission.ts'
import type { Connections } from './connections.ts'
import type { Expiries } from './expiries.ts'
import type { Metrics } from './metrics.ts'
import type { Ownership } from './ownership.ts'
import { PresenceBucket } from './presence-bucket.ts'
import {
  CloseCode,
  MalformedMessage,
  decodeAwarenessRaw,
  decodeMessage,
  encodeAwareness,
} from '@switchboard/protocol'
import type { Room, Peer, SharedFrame } from './room.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { SocketCloser } from './room-socket.ts'
import type { SocketAdapter } from './socket-adapter.ts'
import { isStorageFailure } from './storage/storage-error.ts'
import type { MemberRecord } from './storage/relay-storage.ts'

/** How long an update may wait for the structs it builds on before the socket must resync. */
const HOLD_MS = 5_000

export interface ConnectionDeps {
  metrics: Metrics
  log: (event: Record<string, unknown>) => void
  now: () => number
  ownership: Ownership
  connections: Pick<Connections<Connection>, 'tick' | 'remove'>
  rooms: Pick<RoomRegistry, 'scheduleIdle'>
  expiries: Pick<Expiries<Connection>, 'delete'>
  maxFrameBytes: number
  maxBufferedBytes: number
  maxPresenceBytes: number
  presenceUpdatesPerSecond: number
  maxDriftMs: number
  /** Why a member cannot be assigned a conversation of a phone number, or null [G2]. */
  assignRefusal?(phoneNumberId: string, memberId: string): string | null
}

export class Connection implements Peer {
  readonly memberId: string
  readonly memberName: string
  readonly wantsAcks: boolean
  awarenessClientId: number | null = null
  readonly member: MemberRecord
  /** The session whose token opened the socket: it closes when that session ends [S5]. */
  readonly sessionId: string
  readonly roomName: RoomName
  readonly readOnly: boolean
  /** How the socket is closed: its `WSContext`, or a relay link stream. */
  ws: SocketCloser | null = null
  socket: SocketAdapter | null = null
  room: Room | null = null
  /** Frames received before the room loaded, handled once it has. */
  queue: Uint8Array[] = []
  queuedBytes = 0
  closed = false
  /** Its token's expiry (seconds since the epoch), once it is armed; 0 until then. */
  exp = 0
  /** An update that builds on structs this socket has not sent yet (see admission.ts). */
  held: Uint8Array | null = null
  heldTimer: ReturnType<typeof setTimeout> | null = null
  /** The keepalive tick of the last frame sent. */
  sentTick = 0
  /** Bytes of sync answers still allowed on top of maxBufferedBytes (see Peer.send). */
  answerAllowance = 0
  readonly #deps: ConnectionDeps
  /** Made at the socket's first presence frame: most sockets of a relay are idle. */
  #presence: PresenceBucket | null = null

  constructor(
    deps: ConnectionDeps,
    member: MemberRecord,
    sessionId: string,
    roomName: RoomName,
    readOnly: boolean,
    wantsAcks: boolean,
  ) {
    this.#deps = deps
    this.member = member
    this.sessionId = sessionId
    this.memberId = member.id
    this.memberName = member.name
    this.roomName = roomName
    this.readOnly = readOnly
    this.wantsAcks = wantsAcks
  }

  get live(): boolean {
    return this.room !== null
  }

  /**
   * Holds (or, with null, releases) an update. One that is still incomplete after HOLD_MS closes
   * the socket with 4529: the client reconnects and its sync step 2 resends all we lack.
   */
  hold(update: Uint8Array | null): void {
    this.held = update
    if (update === null) {
      if (this.heldTimer) clearTimeout(this.heldTimer)
      this.heldTimer = null
      return
    }
    this.heldTimer ??= setTimeout(() => {
      this.heldTimer = null
      if (this.held) this.close(CloseCode.SlowConsumer, 'update incomplete for too long, resync')
    }, HOLD_MS)
  }

  send(frame: Uint8Array, answer = false): void {
    if (!this.#admit(frame, answer)) return
    this.socket!.send(frame)
  }

  sendShared(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void {
    if (!this.#admit(frame ?? own[0]!, false)) return
    this.socket!.sendShared(frame, once, own)
  }

  /** False (and the socket closed when too far behind) when the frame must not be sent. */
  #admit(frame: Uint8Array, answer: boolean): boolean {
    if (this.closed || !this.socket) return false
    const { maxBufferedBytes } = this.#deps
    this.sentTick = this.#deps.connections.tick
    const buffered = this.socket.bufferedAmount()
    // Drained below the bound: whatever answer was queued has been written out.
    if (buffered <= maxBufferedBytes) this.answerAllowance = 0
    if (buffered > maxBufferedBytes + this.answerAllowance) {
      this.close(CloseCode.SlowConsumer, 'too far behind, resync')
      return false
    }
    if (answer) this.answerAllowance += frame.byteLength
    return true
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.#deps.metrics.closed(code)
    this.ws?.close(code, reason.slice(0, 120))
    this.dispose()
  }

  claimDevice(deviceId: string): boolean {
    return this.#deps.ownership.claimDevice(deviceId, this.memberId)
  }

  /**
   * A presence (awareness) frame. Changes of the socket's own state are rate-limited: one over
   * the rate waits for the bucket, replaced by any newer one (a state is whole, not a delta), so
   * the newest always arrives [L5]. Frames of echoes only cost no token.
   */
  presence(update: Uint8Array): void {
    const { metrics, maxPresenceBytes } = this.#deps
    const entries = decodeAwarenessRaw(update)
    const own = this.awarenessClientId
    const mine = entries.some((e) => own === null || e.clientId === own)
    this.#presence ??= new PresenceBucket(this.#deps.presenceUpdatesPerSecond)
    if (mine && !this.#presence.take(update, (waiting) => this.#presenceDue(waiting))) {
      metrics.reject('presence-coalesced')
      return
    }
    const result = this.room!.applyAwareness(this, entries, maxPresenceBytes)
    if (result.oversized !== null)
      return this.reject(
        CloseCode.TooLarge,
        'presence-too-large',
        `a presence state of ${result.oversized} bytes (cap ${maxPresenceBytes})`,
      )
    if (result.dropped > 0) metrics.reject('awareness-foreign-client')
    if (result.foreignDevices > 0) metrics.reject('presence-foreign-device')
  }

  #presenceDue(waiting: Uint8Array): void {
    if (!this.closed) this.handle(encodeAwareness(waiting))
  }

  dispose(): void {
    if (this.closed) return
    this.closed = true
    this.#deps.connections.remove(this)
    if (this.exp) this.#deps.expiries.delete(this, this.exp)
    if (this.heldTimer) clearTimeout(this.heldTimer)
    this.#presence?.stop()
    if (this.room) {
      this.room.leave(this)
      this.#deps.rooms.scheduleIdle(this.room)
    }
  }

  reject(code: number, reason: string, detail: string): void {
    this.#deps.metrics.reject(reason)
    this.#deps.log({
      level: 'warn',
      msg: 'frame rejected',
      reason,
      code,
      detail: detail.slice(0, 300),
      room: this.roomName.name,
      member: this.memberId,
    })
    this.close(code, `${reason}: ${detail}`)
  }

  handle(frame: Uint8Array): void {
    const room = this.room!
    let message
    try {
      message = decodeMessage(frame)
    } catch (err) {
      return this.reject(CloseCode.Malformed, 'malformed', (err as Error).message)
    }
    try {
      switch (message.type) {
        case 'sync-step-1':
          if (room.staleStateVector(message.stateVector))
            return this.close(CloseCode.EpochChanged, 'replica holds an older epoch: adopt it')
          return room.syncStep1(this, message.stateVector)
        case 'update': {
          const { held } = this
          this.held = null
          const verdict = admitClientUpdate({
            update: message.update,
            step: message.step,
            held,
            room,
            writer: this,
            maxFrameBytes: this.#deps.maxFrameBytes,
            maxDriftMs: this.#deps.maxDriftMs,
            now: this.#deps.now(),
            deviceOwner: this.#deps.ownership.deviceOwner,
            knownDevice: this.#deps.ownership.knownDevice,
            assignRefusal: this.#deps.assignRefusal,
          })
          return this.#carryOut(room, verdict)
        }
        case 'awareness':
          return this.presence(message.update)
        case 'query-awareness':
          return room.queryAwareness(this)
      }
    } catch (err) {
      if (isStorageFailure(err))
        return this.reject(CloseCode.Unreadable, 'storage', String(err).slice(0, 200))
      const reason = err instanceof MalformedMessage ? 'malformed' : 'undecodable'
      return this.reject(CloseCode.Malformed, reason, (err as Error).message)
    }
  }

  #carryOut(room: Room, verdict: Verdict): void {
    switch (verdict.kind) {
      case 'hold':
        return this.hold(verdict.update)
      case 'reject':
        return this.reject(verdict.code, verdict.reason, verdict.detail)
      case 'epoch-changed':
        return this.close(CloseCode.EpochChanged, verdict.reason)
      case 'nothing-new':
        this.hold(null)
        if (verdict.step2) room.clientStep2(this, verdict.step2)
        return
      case 'apply': {
        this.#deps.ownership.bind(this.memberId, room.clientOwners, verdict.bindings)
        // What is applied, stored and broadcast is what was judged: the update without the
        // structs the room already held; acks name every client the writer sent again.
        const { admitted } = verdict
        const applied = room.applyUpdate(
          this,
          verdict.update,
          admitted.decoded.structs,
          admitted.decoded.ds,
          { admitted, acked: verdict.acked },
        )
        if (!applied)
          return this.reject(
            CloseCode.Rejected,
            'unpredicted-effect',
            'the update did not do what it was checked for; the room reloads',
          )
        this.hold(null)
        if (verdict.step2) room.clientStep2(this, verdict.step2)
        return
      }
    }
  }
}
