/**
 * @module When open sockets' tokens expire: one timer per expiry second, shared by every socket
 * whose token ends in that second, not one per socket. A token's `exp` is whole seconds and all
 * of a member's sockets opened with one token share it, so a relay's sockets fall in few seconds.
 */

/** The sockets whose tokens expire at one second, and the timer that closes them then. */
interface Slot<C> {
  timer: ReturnType<typeof setTimeout>
  sockets: Set<C>
}

export class Expiries<C> {
  readonly #now: () => number
  readonly #expired: (socket: C) => void
  readonly #at = new Map<number, Slot<C>>()

  /** `expired` is told of each socket whose token has expired (it closes the socket). */
  constructor(now: () => number, expired: (socket: C) => void) {
    this.#now = now
    this.#expired = expired
  }

  /** Arms the expiry of `socket`'s token at `exp` (seconds since the epoch). */
  add(socket: C, exp: number): void {
    let slot = this.#at.get(exp)
    if (!slot) {
      const ttl = Math.min(exp * 1000 - this.#now(), 2 ** 31 - 1)
      slot = { timer: setTimeout(() => this.#due(exp), ttl), sockets: new Set() }
      this.#at.set(exp, slot)
    }
    slot.sockets.add(socket)
  }

  /** Disarms it (the socket closed); the second's timer goes with its last socket. */
  delete(socket: C, exp: number): void {
    const slot = this.#at.get(exp)
    if (!slot?.sockets.delete(socket) || slot.sockets.size > 0) return
    clearTimeout(slot.timer)
    this.#at.delete(exp)
  }

  /** Seconds with a timer armed (for tests). */
  get seconds(): number {
    return this.#at.size
  }

  #due(exp: number): void {
    const slot = this.#at.get(exp)
    if (!slot) return
    this.#at.delete(exp)
    for (const socket of slot.sockets) this.#expired(socket)
  }
}
