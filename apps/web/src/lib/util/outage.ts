/**
 * @module Which outage the replica is in, told apart so the banner can say what still works:
 * the browser has no network, the relay cannot be reached though the network is there, or the
 * session is over (the error banner, with its "Sign in again", speaks for that one).
 */
import type { ConnectionStatus } from '@switchboard/client'

export const Outage = {
  /** The browser says it has no network (navigator.onLine false). */
  Offline: 'offline',
  /** The network is there, but the relay's sockets keep failing to connect. */
  Unreachable: 'unreachable',
  /** The relay refused the session (expired, or ended: 4401 then a failed refresh, 4410). */
  SignedOut: 'signed-out',
} as const
export type Outage = (typeof Outage)[keyof typeof Outage]

const SIGNED_OUT_CODES: ReadonlySet<string> = new Set(['unauthorized', 'session-ended'])

/**
 * The outage, or null when there is none (online, or still connecting: a short blip is not
 * worth a banner; the client says 'offline' only after a few failed reconnects).
 */
export function outageOf(input: {
  browserOnline: boolean
  status: ConnectionStatus
  errorCode: string | null
}): Outage | null {
  if (!input.browserOnline) return Outage.Offline
  if (input.status === 'online') return null
  // An old session error stays recorded after a later sign-in brought the replica back:
  // it counts only while the replica is not online.
  if (input.errorCode && SIGNED_OUT_CODES.has(input.errorCode)) return Outage.SignedOut
  if (input.status === 'offline') return Outage.Unreachable
  return null
}

/**
 * The banner's words: what happened, and what still works; null when signed out, which the
 * error banner tells with its "Sign in again" button (one banner at a time).
 */
export function outageMessage(outage: Outage): string | null {
  switch (outage) {
    case Outage.Offline:
      return 'You are offline — your changes are kept on this device and sync when you reconnect.'
    case Outage.Unreachable:
      return "Can't reach the Switchboard server — retrying; your changes are kept on this device."
    case Outage.SignedOut:
      return null
  }
}

/** The connection line's short word for the status. */
export function connectionLabel(outage: Outage | null, status: ConnectionStatus, pending: number) {
  if (outage === Outage.Offline) return 'Offline'
  if (outage === Outage.Unreachable) return 'Server unreachable'
  if (outage === Outage.SignedOut) return 'Signed out'
  if (status === 'offline') return 'Offline'
  if (status === 'connecting') return 'Connecting'
  return pending > 0 ? 'Syncing' : 'Online'
}
