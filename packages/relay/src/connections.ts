/**
 * @module The open sockets: per-member counts [L4], each member's budget of big sync step 2s
 * [L6], the keepalive tick, and closing sockets by who they are.
 */
import type { Metrics } from './metrics.ts'
import { CloseCode, encodeAwareness } from '@switchboard/protocol'

/** What the registry needs of a connection. */
export interface Tracked {
  readonly memberId: string
  readonly sessionId: string
  /** Joined its room: keepalives go to it. */
  readonly live: boolean
  /** The keepalive tick of the last frame sent. */
  sentTick: number
  send(frame: Uint8Array): void
  close(code: number, reason: string): void
}

export interface Connections<C extends Tracked> {
  readonly size: number
  /** The keepalive tick now: a frame sent records it. */
  readonly tick: number
  /** Counts an opened socket against its member's cap; false (nothing counted) when it is full. */
  admit(c: C, raw: unknown): boolean
  /** Forgets a closed socket (its count given back when it was admitted). */
  remove(c: C): void
  closeWhere(pred: (c: C) => boolean, code: number, reason: string): void
  /** Members with at least one socket open. */
  online(): ReadonlySet<string>
  /** [S5] Closes at once every socket of sessions that just ended. */
  closeSessions(ids: Iterable<string>, reason: string): void
  /** Each member's budget of big sync step 2s, for a socket (its `WSContext.raw`) [L6]. */
  readonly syncBudget: SyncBudget
  stop(): void
}

/** Bytes of big sync step 2s a socket's member may buffer [L6] (see ws-frame.ts). */
export interface SyncBudget {
  take(raw: unknown, bytes: number): boolean
  give(raw: unknown, bytes: number): void
}

export interface ConnectionsDeps {
  metrics: Metrics
  maxSocketsPerMember: number
  maxSyncBytesPerMember: number
  keepaliveMs: number
}

export function createConnections<C extends Tracked>(deps: ConnectionsDeps): Connections<C> {
  const { metrics, maxSocketsPerMember, maxSyncBytesPerMember, keepaliveMs } = deps
  const open = new Set<C>()
  const socketsOf = new Map<string, number>()
  const syncBytesOf = new Map<string, number>()
  const connectionOf = new WeakMap<object, C>()
  const counted = new WeakSet<C>()

  // One timer for every socket; a socket quiet for a whole tick gets 3 bytes, as unmodified
  // providers drop a connection that received nothing for a while.
  let tick = 0
  const KEEPALIVE = encodeAwareness(new Uint8Array([0]))
  const keepalive =
    keepaliveMs > 0
      ? setInterval(() => {
          tick++
          for (const c of open) if (c.live && c.sentTick < tick - 1) c.send(KEEPALIVE)
        }, keepaliveMs)
      : null
  keepalive?.unref?.()

  const memberOf = (raw: unknown) =>
    typeof raw === 'object' && raw !== null ? connectionOf.get(raw)?.memberId : undefined

  const closeWhere = (pred: (c: C) => boolean, code: number, reason: string) => {
    for (const c of [...open]) if (pred(c)) c.close(code, reason)
  }

  return {
    online: () => new Set(socketsOf.keys()),
    get size() {
      return open.size
    },
    get tick() {
      return tick
    },
    admit(c, raw) {
      // Counted when open (one socket at a time), so a burst of upgrades cannot all pass the
      // check before any is counted [L4].
      const n = socketsOf.get(c.memberId) ?? 0
      if (maxSocketsPerMember > 0 && n >= maxSocketsPerMember) return false
      socketsOf.set(c.memberId, n + 1)
      counted.add(c)
      if (typeof raw === 'object' && raw !== null) connectionOf.set(raw, c)
      open.add(c)
      metrics.connections = open.size
      return true
    },
    remove(c) {
      open.delete(c)
      metrics.connections = open.size
      if (!counted.has(c)) return
      counted.delete(c)
      const n = (socketsOf.get(c.memberId) ?? 1) - 1
      if (n > 0) socketsOf.set(c.memberId, n)
      else socketsOf.delete(c.memberId)
    },
    closeWhere,
    closeSessions(ids, reason) {
      const ended = new Set(ids)
      if (ended.size > 0) closeWhere((c) => ended.has(c.sessionId), CloseCode.SessionEnded, reason)
    },
    syncBudget: {
      take(raw, bytes) {
        const m = memberOf(raw)
        // A socket the relay did not accept is closing: it gets nothing buffered.
        if (m === undefined) return false
        const used = syncBytesOf.get(m) ?? 0
        if (maxSyncBytesPerMember > 0 && used + bytes > maxSyncBytesPerMember) return false
        syncBytesOf.set(m, used + bytes)
        metrics.syncBytesInFlight += bytes
        return true
      },
      give(raw, bytes) {
        const m = memberOf(raw)
        if (m === undefined) return
        metrics.syncBytesInFlight -= bytes
        const left = (syncBytesOf.get(m) ?? 0) - bytes
        if (left > 0) syncBytesOf.set(m, left)
        else syncBytesOf.delete(m)
      },
    },
    stop() {
      if (keepalive) clearInterval(keepalive)
    },
  }
}
